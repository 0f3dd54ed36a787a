/**
 * Every place where the emulator accepts more than the strict contract, because the official UbiOps client,
 * its CLI or other HTTP clients really send it (UBIOPS-WIRE.md §1, §2, §6). Nothing else in the emulator is
 * lenient; the query-string leniencies (`True`/`False` booleans, a repeated `timeout`, unknown parameters)
 * live in the shared schemas of `@ubiops-effect/core/ApiParams`.
 *
 * @since 1.0.0
 */

/**
 * A structured pipeline given its input as text (a `str` in Python is sent as `text/plain`): the text is read
 * as JSON when it holds an object or a list; anything else is refused.
 *
 * @since 1.0.0
 * @category input
 */
export const structuredInputFromText = (text: string): unknown => {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === "object" && parsed !== null ? parsed : undefined
  } catch {
    return undefined
  }
}

/**
 * A `text/plain` body is UTF-8, except from the older `requests`/`urllib3` stack of Debian, which sends
 * Latin-1: bytes that are not valid UTF-8 are read as Latin-1.
 *
 * @since 1.0.0
 * @category bodies
 */
export const decodeText = (bytes: Uint8Array): string => {
  try {
    return utf8.decode(bytes)
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

/**
 * The token of an `Authorization` header: `Token <t>` (any case), or the bare token (UBIOPS-WIRE.md §4).
 *
 * @since 1.0.0
 * @category auth
 */
export const tokenOf = (authorization: string | undefined): string | undefined => {
  if (authorization === undefined) return undefined
  const value = authorization.trim()
  const match = /^token\s+(\S+)$/i.exec(value)
  if (match !== null) return match[1]
  return /\s/.test(value) || value.length === 0 ? undefined : value
}
