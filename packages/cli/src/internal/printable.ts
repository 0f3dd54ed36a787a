/**
 * Text from an input file, made safe to print on a terminal: control characters (C0, DEL, C1), line and paragraph
 * separators and bidirectional overrides are written as `\uXXXX` escapes, so that a line cannot move the cursor,
 * change colours or reorder what the terminal shows.
 */

const unprintable = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const escape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`

export const printable = (text: string): string => text.replace(unprintable, escape)
