/**
 * Reading a response body no larger than the client's `maxResponseBytes`: a body that declares a larger
 * `content-length` is not read at all, and one without a length (or compressed) is read as a stream that stops at
 * the cap, so a server that sends without end costs at most the cap in memory. A streamed response's lines are
 * bounded the same way (`capLines`).
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** The body as read: its text or bytes, or `TooLarge` when it is longer than the cap (and was not read on). */
export type Body =
  | { readonly _tag: "Read"; readonly value: string | ArrayBuffer }
  | { readonly _tag: "TooLarge"; readonly declaredBytes: number | undefined }

const tooLarge = (declaredBytes: number | undefined): Body => ({ _tag: "TooLarge", declaredBytes })

const concat = (parts: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.length
  }
  return bytes
}

/** Reads the body as text (`"Text"`) or bytes (`"Bytes"`), at most `maxBytes` of it. */
export const read = (
  response: HttpClientResponse.HttpClientResponse,
  as: "Text" | "Bytes",
  maxBytes: number
): Effect.Effect<Body, HttpClientError.ResponseError> => {
  const declared = response.headers["content-length"]
  // a compressed body's length says nothing of what it decompresses to: such a body is counted as it is read
  const encoding = response.headers["content-encoding"]
  const plain = encoding === undefined || encoding === "identity"
  if (plain && declared !== undefined && /^\d+$/.test(declared)) {
    const length = Number(declared)
    if (length > maxBytes) return Effect.succeed(tooLarge(length))
    // the transport reads no more than the declared length
    const body: Effect.Effect<string | ArrayBuffer, HttpClientError.ResponseError> = as === "Text"
      ? response.text
      : response.arrayBuffer
    return Effect.map(body, (value): Body => ({ _tag: "Read", value }))
  }
  return Effect.suspend(() => {
    const parts: Array<Uint8Array> = []
    let length = 0
    let over = false
    return response.stream.pipe(
      Stream.catchAll((error) => error.reason === "EmptyBody" ? Stream.empty : Stream.fail(error)),
      Stream.takeWhile((part) => {
        length += part.length
        over = length > maxBytes
        if (!over) parts.push(part)
        return !over
      }),
      Stream.runDrain,
      Effect.map((): Body => {
        if (over) return tooLarge(undefined)
        const bytes = concat(parts, length)
        return { _tag: "Read", value: as === "Text" ? new TextDecoder().decode(bytes) : bytes.buffer as ArrayBuffer }
      })
    )
  })
}

/**
 * Fails with `onTooLong` when a line of the byte stream (the bytes since its last line break) is longer than
 * `maxBytes`: the lines are split after it, and a line that never ends would otherwise be held whole.
 */
export const capLines =
  <E, E2, R>(maxBytes: number, onTooLong: () => E2) =>
  (bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Uint8Array, E | E2, R> =>
    Stream.suspend(() => {
      let sinceBreak = 0
      return Stream.mapEffect(bytes, (part) => {
        const lastBreak = part.lastIndexOf(10)
        sinceBreak = lastBreak === -1 ? sinceBreak + part.length : part.length - lastBreak - 1
        return sinceBreak > maxBytes ? Effect.fail(onTooLong()) : Effect.succeed(part)
      })
    })
