/**
 * A JSONL input file, read lazily: one input per line, numbered from 0 (`index`), checked against the
 * pipeline's input type before anything is sent.
 *
 * - structured pipelines take a JSON object per line, plain pipelines a JSON string;
 * - a line that is empty or only whitespace is `Blank`: not an input, it keeps its number;
 * - a line that would not be sent exactly as written is `Invalid`: bytes that are not UTF-8, a number that does not
 *   fit a double (`1e400`), an integer beyond 2^53, nesting deeper than 1,000 levels;
 * - anything else is `Invalid`, with the reason (its control characters escaped, so that it can be printed).
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import type { RequestData } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { inexactness } from "./internal/exactJson.js"
import { printable } from "./internal/printable.js"
import { utf8Lines } from "./internal/utf8Lines.js"

/**
 * What a pipeline takes: a JSON object (`structured`) or a string (`plain`).
 *
 * @since 1.0.0
 * @category models
 */
export type InputType = "structured" | "plain"

/**
 * @since 1.0.0
 * @category models
 */
export interface ValidLine {
  readonly _tag: "Valid"
  /** The line's position in the file, from 0. */
  readonly index: number
  readonly data: RequestData
}

/**
 * @since 1.0.0
 * @category models
 */
export interface InvalidLine {
  readonly _tag: "Invalid"
  readonly index: number
  /** Why it cannot be sent, starting with its line number (`line 8: not JSON (...)`). */
  readonly reason: string
}

/**
 * @since 1.0.0
 * @category models
 */
export interface BlankLine {
  readonly _tag: "Blank"
  readonly index: number
}

/**
 * @since 1.0.0
 * @category models
 */
export type Line = ValidLine | InvalidLine | BlankLine

const kindOf = (value: unknown): string =>
  value === null ?
    "null" :
    Array.isArray(value) ?
    "an array" :
    typeof value === "object" ?
    "an object" :
    `a ${typeof value}`

/**
 * Reads one line of the file (`index` from 0).
 *
 * @since 1.0.0
 * @category parsing
 */
export const parseLine = (text: string, index: number, inputType: InputType): Line => {
  if (text.trim() === "") return { _tag: "Blank", index }
  const invalid = (problem: string): InvalidLine => ({
    _tag: "Invalid",
    index,
    reason: `line ${index + 1}: ${printable(problem)}`
  })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return invalid(`not JSON (${(error as Error).message})`)
  }
  const inexact = inexactness(text)
  if (inexact !== undefined) return invalid(inexact)
  if (inputType === "plain") {
    return typeof value === "string"
      ? { _tag: "Valid", index, data: value }
      : invalid(`a plain pipeline takes a JSON string per line, got ${kindOf(value)}`)
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? { _tag: "Valid", index, data: value as { readonly [key: string]: unknown } }
    : invalid(
      `a structured pipeline takes a JSON object per line, got ${kindOf(value)}${
        typeof value === "string" ? " (is the pipeline plain? then pass --input-type plain)" : ""
      }`
    )
}

const byteOrderMark = "\uFEFF"

/**
 * The lines of a file as a lazy stream: the file is read in chunks as the stream is pulled, never whole.
 * A byte order mark at the start is ignored; `\n` and `\r\n` both end a line; a last line without an end
 * counts; a line that is not UTF-8 is invalid (it is never decoded with U+FFFD in place of its bytes).
 *
 * @since 1.0.0
 * @category constructors
 */
export const lines = (
  path: string,
  inputType: InputType
): Stream.Stream<Line, PlatformError, FileSystem.FileSystem> =>
  Stream.unwrap(Effect.map(FileSystem.FileSystem, (fs) =>
    utf8Lines(fs.stream(path)).pipe(
      Stream.mapAccum(0, (index, text): [number, Line] => [
        index + 1,
        typeof text !== "string" ?
          {
            _tag: "Invalid",
            index,
            reason: `line ${index + 1}: not UTF-8 text (byte ${text.offset + 1} of the line): ` +
              "it would be sent altered, with U+FFFD in place of its bytes"
          } :
          parseLine(index === 0 && text.startsWith(byteOrderMark) ? text.slice(1) : text, index, inputType)
      ])
    )))

/**
 * What a first pass over the file found.
 *
 * @since 1.0.0
 * @category models
 */
export interface Scan {
  /** Lines in the file (blank ones included). */
  readonly lines: number
  readonly valid: number
  readonly blank: number
  readonly invalid: number
  /** The first few invalid lines. */
  readonly firstInvalid: ReadonlyArray<InvalidLine>
}

/**
 * Reads the whole file once, in constant memory, counting its lines and keeping the first `keep` invalid ones.
 *
 * @since 1.0.0
 * @category constructors
 */
export const scan = (
  path: string,
  inputType: InputType,
  keep = 10
): Effect.Effect<Scan, PlatformError, FileSystem.FileSystem> =>
  Stream.runFold(
    lines(path, inputType),
    { lines: 0, valid: 0, blank: 0, invalid: 0, firstInvalid: [] as Array<InvalidLine> },
    (scan, line) => {
      scan.lines++
      if (line._tag === "Valid") scan.valid++
      else if (line._tag === "Blank") scan.blank++
      else {
        scan.invalid++
        if (scan.firstInvalid.length < keep) scan.firstInvalid.push(line)
      }
      return scan
    }
  )
