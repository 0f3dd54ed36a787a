/**
 * Every place where the emulator accepts more than the strict contract, because the official UbiOps client,
 * its CLI or other HTTP clients really send it (UBIOPS-WIRE.md §1, §2, §6). Nothing else in the emulator is
 * lenient; the query-string leniencies (`True`/`False` booleans, a repeated `timeout`, unknown parameters)
 * live in the shared schemas of `@ubiops-effect/core/ApiParams`.
 *
 * @since 1.0.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Headers from "@effect/platform/Headers"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as Multipart from "@effect/platform/Multipart"
import type * as Path from "@effect/platform/Path"
import type * as Socket from "@effect/platform/Socket"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { ReadonlyRecord } from "effect/Record"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

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
 * Latin-1 without saying so: bytes that are not valid UTF-8 are read as Latin-1. A declared Latin-1 charset is
 * read as Latin-1.
 *
 * @since 1.0.0
 * @category bodies
 */
export const decodeText = (bytes: Uint8Array, contentType?: string | undefined): string => {
  const latin1 = () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")
  if (contentType !== undefined && /charset\s*=\s*"?(iso-8859-1|latin-?1)/i.test(contentType)) return latin1()
  try {
    return utf8.decode(bytes)
  } catch {
    return latin1()
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

/**
 * Whether a body sent with this `Content-Type` can be read: JSON, plain text, or no type at all (read as JSON).
 * Anything else (a form, XML, bytes) would be taken apart into something that was never sent, so it is refused
 * with 415.
 *
 * @since 1.0.0
 * @category bodies
 */
export const isReadableContentType = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return true
  const media = contentType.split(";")[0].trim().toLowerCase()
  return media === "" || media === "application/json" || media === "text/plain"
}

/**
 * A request whose body was read once, up front, and is served from memory: `text` is decoded as UTF-8 with
 * the Latin-1 fallback of `decodeText`, an empty body is JSON `null` (a cancel-all may come with no body at
 * all), and malformed JSON fails with a `RequestError` whose description says why (the server answers 400
 * with that message).
 *
 * @since 1.0.0
 * @category bodies
 */
export class BufferedRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId

  constructor(readonly original: HttpServerRequest.HttpServerRequest, readonly bytes: Uint8Array) {
    super()
  }

  get source(): unknown {
    return this.original.source
  }
  get url(): string {
    return this.original.url
  }
  get originalUrl(): string {
    return this.original.originalUrl
  }
  get method(): HttpMethod {
    return this.original.method
  }
  get cookies(): ReadonlyRecord<string, string> {
    return this.original.cookies
  }
  get headers(): Headers.Headers {
    return this.original.headers
  }
  get remoteAddress(): Option.Option<string> {
    return this.original.remoteAddress
  }
  get upgrade(): Effect.Effect<Socket.Socket, HttpServerError.RequestError> {
    return this.original.upgrade
  }
  get multipart(): Effect.Effect<
    Multipart.Persisted,
    Multipart.MultipartError,
    Scope.Scope | FileSystem.FileSystem | Path.Path
  > {
    return this.original.multipart
  }
  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return this.original.multipartStream
  }
  modify(options: {
    readonly url?: string
    readonly headers?: Headers.Headers
    readonly remoteAddress?: string
  }): HttpServerRequest.HttpServerRequest {
    return new BufferedRequest(this.original.modify(options), this.bytes)
  }
  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return Effect.sync(() => decodeText(this.bytes, this.headers["content-type"]))
  }
  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.suspend(() => {
      if (this.bytes.length === 0) return Effect.succeed(null)
      try {
        return Effect.succeed(JSON.parse(Buffer.from(this.bytes).toString("utf8")) as unknown)
      } catch (error) {
        return Effect.fail(
          new HttpServerError.RequestError({
            request: this,
            reason: "Decode",
            cause: error,
            description: `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
          })
        )
      }
    })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.sync(() =>
      UrlParams.fromInput(new URLSearchParams(decodeText(this.bytes, this.headers["content-type"])))
    )
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    return Effect.sync(() =>
      this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength) as ArrayBuffer
    )
  }
  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    return Stream.succeed(this.bytes)
  }
  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpServerRequest",
      method: this.method,
      url: this.url
    })
  }
}

/**
 * The body is larger than the emulator accepts.
 *
 * @since 1.0.0
 * @category bodies
 */
export class BodyTooLarge {
  readonly _tag = "BodyTooLarge"
  constructor(readonly maxBytes: number) {}
}

/**
 * Reads the whole body of a request that may have one (at most `maxBytes`: a larger declared or actual size
 * fails with `BodyTooLarge`), and gives the request back served from memory.
 *
 * @since 1.0.0
 * @category bodies
 */
export const bufferBody = (
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.Effect<HttpServerRequest.HttpServerRequest, BodyTooLarge | HttpServerError.RequestError> => {
  if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") {
    return Effect.succeed(request)
  }
  const declared = Number(request.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBytes) return Effect.fail(new BodyTooLarge(maxBytes))
  const source = request.source
  const noBody = declared === 0 || (typeof Request !== "undefined" && source instanceof Request && source.body === null)
  if (noBody) return Effect.succeed(new BufferedRequest(request, new Uint8Array(0)))
  interface Read {
    readonly chunks: Chunk.Chunk<Uint8Array>
    readonly size: number
  }
  // A body that turns out too large (sent without a length, or with a wrong one) is read to its end and dropped, up to
  // a bound, before the 413 goes out: stopping mid-body would destroy the connection and the client would get no
  // answer. Past the bound, the connection is given up.
  const drainLimit = maxBytes * 4 + 1024 * 1024
  return Stream.runFoldWhile(
    request.stream,
    { chunks: Chunk.empty<Uint8Array>(), size: 0 } as Read,
    (state) => state.size <= drainLimit,
    (state, chunk): Read => {
      const size = state.size + chunk.length
      return size > maxBytes ? { chunks: Chunk.empty(), size } : { chunks: Chunk.append(state.chunks, chunk), size }
    }
  ).pipe(
    Effect.flatMap((read) => read.size > maxBytes ? Effect.fail(new BodyTooLarge(maxBytes)) : Effect.succeed(read)),
    Effect.map(({ chunks, size }) => {
      const bytes = new Uint8Array(size)
      let offset = 0
      for (const chunk of chunks) {
        bytes.set(chunk, offset)
        offset += chunk.length
      }
      return new BufferedRequest(request, bytes)
    })
  )
}
