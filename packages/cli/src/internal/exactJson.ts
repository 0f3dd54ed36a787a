/**
 * What `JSON.parse` would change in a line of JSON, which is then sent as `JSON.stringify` writes it: a number too
 * large for a double (`1e400` becomes `null`), too small (`1e-400` becomes `0`), an integer beyond 2^53 (rounded),
 * and nesting too deep to be sent at all. Most lines cannot have any of these, which a quick test tells; the others
 * are scanned.
 */
import { formatCount } from "@ubiops-effect/stream/Progress"

/** Deeper lines are refused: the server (and this process's stack) must be able to take them. */
export const maxDepth = 1_000

/** A line without a digit before an exponent and without 16 digits in a row has no number that JSON.parse changes. */
const mayHaveInexactNumber = /\d[eE]|\d{16}/

const excerpt = (text: string) => text.length > 40 ? `${text.slice(0, 40)}…` : text

const numberProblem = (token: string): string | undefined => {
  const value = Number(token)
  if (!Number.isFinite(value)) {
    return `the number ${excerpt(token)} is beyond the range of a double and would be sent as null`
  }
  const exponent = token.search(/[eE]/)
  const mantissa = exponent === -1 ? token : token.slice(0, exponent)
  if (value === 0 && /[1-9]/.test(mantissa)) {
    return `the number ${excerpt(token)} is too small for a double and would be sent as 0`
  }
  if (
    exponent === -1 && !token.includes(".") && !Number.isSafeInteger(value) && BigInt(token) !== BigInt(value)
  ) {
    return `the integer ${excerpt(token)} is beyond 2^53 and would be sent rounded (as ${
      excerpt(JSON.stringify(value))
    }): write it as a string`
  }
  return undefined
}

const isNumberChar = (code: number) =>
  (code >= 48 && code <= 57) || code === 45 || code === 43 || code === 46 || code === 101 || code === 69

/**
 * Why a line of valid JSON would not be sent exactly as written, or `undefined` when it would.
 */
export const inexactness = (text: string): string | undefined => {
  const checkNumbers = mayHaveInexactNumber.test(text)
  if (!checkNumbers && text.length <= 2 * maxDepth) return undefined
  let depth = 0
  let i = 0
  while (i < text.length) {
    const code = text.charCodeAt(i)
    if (code === 34) {
      // a string: skip to its closing quote
      i++
      while (i < text.length) {
        const inner = text.charCodeAt(i)
        if (inner === 92) i += 2
        else if (inner === 34) break
        else i++
      }
      i++
    } else if (code === 123 || code === 91) {
      if (++depth > maxDepth) return `nested deeper than ${formatCount(maxDepth)} levels`
      i++
    } else if (code === 125 || code === 93) {
      depth--
      i++
    } else if (checkNumbers && (code === 45 || (code >= 48 && code <= 57))) {
      const start = i
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++
      const problem = numberProblem(text.slice(start, i))
      if (problem !== undefined) return problem
    } else {
      i++
    }
  }
  return undefined
}
