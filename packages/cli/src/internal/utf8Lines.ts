/**
 * Bytes to lines of strict UTF-8: a line with bytes that are not UTF-8 is reported as such instead of being decoded
 * with U+FFFD in their place (what `Stream.decodeText` does), so that it is never sent altered. `\n` and `\r\n` end a
 * line; a last line without an end counts; a byte order mark is kept (the caller decides what it means).
 */
import * as Chunk from "effect/Chunk"
import * as Stream from "effect/Stream"

/** A line whose bytes are not UTF-8: `offset` is the first byte (from 0) that is not. */
export interface NotUtf8 {
  readonly _tag: "NotUtf8"
  readonly offset: number
}

export type DecodedLine = string | NotUtf8

const newline = 10
const carriageReturn = 13

/** The offset of the first byte of `bytes` that is not part of a well-formed UTF-8 sequence, or -1. */
export const firstInvalidByte = (bytes: Uint8Array): number => {
  let i = 0
  while (i < bytes.length) {
    const byte = bytes[i]
    if (byte < 0x80) {
      i++
      continue
    }
    const length = byte >= 0xc2 && byte <= 0xdf
      ? 2
      : byte >= 0xe0 && byte <= 0xef
      ? 3
      : byte >= 0xf0 && byte <= 0xf4
      ? 4
      : 0
    if (length === 0 || i + length > bytes.length) return i
    const second = bytes[i + 1]
    // the second byte's range excludes overlong forms, surrogates and code points beyond U+10FFFF
    const low = byte === 0xe0 ? 0xa0 : byte === 0xf0 ? 0x90 : 0x80
    const high = byte === 0xed ? 0x9f : byte === 0xf4 ? 0x8f : 0xbf
    if (second < low || second > high) return i
    for (let k = 2; k < length; k++) {
      if ((bytes[i + k] & 0xc0) !== 0x80) return i
    }
    i += length
  }
  return -1
}

const withoutCarriageReturn = (line: string) =>
  line.length > 0 && line.charCodeAt(line.length - 1) === carriageReturn ? line.slice(0, -1) : line

/** Splits what it is given into lines, keeping an unfinished last line until more bytes come or `end` is called. */
class Splitter {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
  /** The bytes after the last newline seen so far. */
  private rest: Array<Uint8Array> = []
  private restLength = 0

  push(bytes: Uint8Array): Array<DecodedLine> {
    const last = bytes.lastIndexOf(newline)
    if (last === -1) {
      // copied: a file stream may reuse its buffer
      this.rest.push(bytes.slice())
      this.restLength += bytes.length
      return []
    }
    const complete = this.withRest(bytes.subarray(0, last))
    this.rest = last + 1 < bytes.length ? [bytes.slice(last + 1)] : []
    this.restLength = bytes.length - last - 1
    return this.decode(complete)
  }

  end(): Array<DecodedLine> {
    if (this.restLength === 0) return []
    const rest = this.withRest(new Uint8Array(0))
    this.rest = []
    this.restLength = 0
    return this.decode(rest)
  }

  private withRest(bytes: Uint8Array): Uint8Array {
    if (this.restLength === 0) return bytes
    const joined = new Uint8Array(this.restLength + bytes.length)
    let offset = 0
    for (const part of this.rest) {
      joined.set(part, offset)
      offset += part.length
    }
    joined.set(bytes, offset)
    return joined
  }

  /** Lines of `bytes` (newline-separated, without a final newline): one decode for all, line by line if that fails. */
  private decode(bytes: Uint8Array): Array<DecodedLine> {
    let text: string | undefined
    try {
      text = this.decoder.decode(bytes)
    } catch {
      text = undefined
    }
    if (text !== undefined) return text.split("\n").map(withoutCarriageReturn)
    const lines: Array<DecodedLine> = []
    let start = 0
    for (;;) {
      const end = bytes.indexOf(newline, start)
      const line = bytes.subarray(start, end === -1 ? bytes.length : end)
      const offset = firstInvalidByte(line)
      lines.push(offset === -1 ? withoutCarriageReturn(this.decoder.decode(line)) : { _tag: "NotUtf8", offset })
      if (end === -1) return lines
      start = end + 1
    }
  }
}

/** The lines of a stream of bytes. */
export const utf8Lines = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<DecodedLine, E, R> =>
  Stream.suspend(() => {
    const splitter = new Splitter()
    return Stream.concat(
      Stream.mapChunks(bytes, (chunk) => {
        const lines: Array<DecodedLine> = []
        for (const part of chunk) {
          for (const line of splitter.push(part)) lines.push(line)
        }
        return Chunk.unsafeFromArray(lines)
      }),
      Stream.suspend(() => Stream.fromIterable(splitter.end()))
    )
  })
