/**
 * The client knows its token, so it takes it out of everything it hands back: a server that echoes the
 * `Authorization` header in an error body, or a transport whose error message quotes a header, must not put the
 * token into an error's fields, its message, `Cause.pretty`, a log or a span.
 */
import * as Redacted from "effect/Redacted"

/** What the token is replaced with. */
export const mask = "<redacted token>"

export interface Redactor {
  /** The text with every occurrence of the token replaced. */
  readonly text: (text: string) => string
  /** The error itself when it does not mention the token, else a copy of it (same class) without it. */
  readonly error: <E>(error: E) => E
}

const maxCauseDepth = 5

/** Secrets at least this long are replaced wherever they appear, even inside a longer word. */
const minSubstringLength = 8

/** Redacts the secret part of an `Authorization` value (`Token abc` -> `abc`), wherever it appears. */
export const make = (authorization: Redacted.Redacted<string>): Redactor => {
  const value = Redacted.value(authorization).trim()
  const secret = value.replace(/^\S+ +/, "")
  if (secret === "") return { text: (text) => text, error: (error) => error }

  // A short secret (no real token is) is replaced only where it stands alone, so that it does not garble words.
  const pattern = secret.length >= minSubstringLength
    ? undefined
    : new RegExp(`(?<![\\w-])${secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "g")
  const includes = (input: string) => {
    if (pattern === undefined) return input.includes(secret)
    pattern.lastIndex = 0
    return pattern.test(input)
  }
  const text = (input: string) =>
    !includes(input) ? input : pattern === undefined ? input.split(secret).join(mask) : input.replace(pattern, mask)

  /** Whether an error's message, stack, text fields or causes hold the token. Other objects it carries (the
   * platform's request, whose headers print redacted) are not searched. */
  const mentions = (value: unknown, depth: number): boolean => {
    if (typeof value === "string") return includes(value)
    if (typeof value !== "object" || value === null || depth > maxCauseDepth) return false
    const record = value as Record<string, unknown>
    if (record instanceof Error && (mentions(record.message, depth) || mentions(record.stack, depth))) return true
    for (const key of Object.keys(record)) {
      if (typeof record[key] === "string" && mentions(record[key], depth)) return true
    }
    return mentions(record.cause, depth + 1)
  }

  /** A cause that mentions the token becomes a plain error with the same name and its message redacted. */
  const cleanCause = (cause: unknown): unknown => {
    if (!mentions(cause, 0)) return cause
    const described = cause instanceof Error ? cause : new Error(String(cause))
    const clean = new Error(text(described.message))
    clean.name = described.name
    return clean
  }

  const error = <E>(input: E): E => {
    if (!mentions(input, 0)) return input
    if (typeof input !== "object" || input === null) return text(String(input)) as E
    const fields: Record<string, unknown> = {}
    for (const key of Object.keys(input)) {
      const field = (input as Record<string, unknown>)[key]
      fields[key] = typeof field === "string" ? text(field) : field
    }
    const cause = (input as { cause?: unknown }).cause
    if (cause !== undefined) fields.cause = cleanCause(cause)
    const Class = (input as object).constructor as new(fields: Record<string, unknown>, skipValidation: boolean) => E
    const copy = new Class(fields, true)
    const stack = (input as { stack?: unknown }).stack
    if (typeof stack === "string" && copy instanceof Error) copy.stack = text(stack)
    return copy
  }

  return { text, error }
}
