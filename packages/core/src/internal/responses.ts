/**
 * What an HTTP outcome means as a typed error: the one mapping of a status to its error (the HTTP client and the
 * emulator's in-process service both use it), and of a transport failure to a `TransportError` that says whether
 * the request may have reached the server.
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type { OperationId } from "../PipelineRequestsApi.js"
import {
  BadRequest,
  Forbidden,
  NotFound,
  RateLimited,
  type ResponseError,
  ServerError,
  TransportError,
  type TransportFailure,
  Unauthorized
} from "../UbiOpsError.js"

/** Where a call went: named by every error. */
export interface Where {
  readonly operation: OperationId
  readonly method: string
  readonly path: string
}

/** How long a 429 asks to wait: `x-ratelimit-reset` seconds, else `Retry-After` (seconds or a date). */
export const retryAfterMillis = (headers: Headers.Headers, now: number): number | undefined => {
  const reset = Number(headers["x-ratelimit-reset"])
  if (headers["x-ratelimit-reset"] !== undefined && Number.isFinite(reset) && reset >= 0) return reset * 1000
  const retryAfter = headers["retry-after"]
  if (retryAfter === undefined) return undefined
  const seconds = Number(retryAfter)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(retryAfter)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The typed error of a response that is not a success. */
export const statusError = (
  where: Where,
  status: number,
  serverMessage: string | undefined,
  headers: Headers.Headers,
  now: number
): ResponseError => {
  const fields = { ...where, status, serverMessage }
  if (status === 401) return new Unauthorized(fields)
  if (status === 403) return new Forbidden(fields)
  if (status === 404) return new NotFound(fields)
  if (status === 429) return new RateLimited({ ...fields, retryAfterMillis: retryAfterMillis(headers, now) })
  if (status >= 500) return new ServerError(fields)
  if (status >= 300 && status < 400) {
    const location = headers["location"]
    return new BadRequest({
      ...fields,
      serverMessage: `redirected to ${location ?? "(no location)"}, not followed: point the client at that host`
    })
  }
  return new BadRequest(fields)
}

/** Connections that could not be made for now: the request did not reach the server, and may a moment later. */
const refusedCodes = new Set([
  "ECONNREFUSED",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT"
])

/** Codes of TLS failures (OpenSSL's `ERR_SSL_*`, Node's `ERR_TLS_*`, certificate checks). */
const isTlsCode = (code: string) =>
  /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO$)/.test(code)

/** What a transport says when it refuses to send a request: undici by code, `fetch` by message only. */
const invalidRequestCodes = new Set([
  "UND_ERR_INVALID_ARG",
  "ERR_INVALID_CHAR",
  "ERR_INVALID_URL",
  "ERR_INVALID_ARG_VALUE"
])
const invalidRequestMessage = /invalid header value|unknown scheme|bad port|invalid url|url scheme/i

/** undici's own headers and body timeouts (300 s for Node's `fetch`, an hour for `NodeHttpClient.layerUndici`). */
const transportTimeoutCodes = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"])

interface Found {
  readonly code: string | undefined
  readonly messages: ReadonlyArray<string>
}

/** The first `code` along an error's `cause` chain (Node and undici put it at different depths) and every message
 * on the way. */
const inspect = (error: unknown): Found => {
  let code: string | undefined
  const messages: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const found = (current as { code?: unknown }).code
    if (code === undefined && typeof found === "string") code = found
    const message = (current as { message?: unknown }).message
    if (typeof message === "string" && message !== "") messages.push(message)
    current = (current as { cause?: unknown }).cause
  }
  return { code, messages }
}

const classify = ({ code, messages }: Found): TransportFailure => {
  if (code !== undefined) {
    if (refusedCodes.has(code)) return "refused"
    if (code === "ENOTFOUND") return "unknown-host"
    if (isTlsCode(code)) return "tls"
    if (invalidRequestCodes.has(code)) return "invalid-request"
  }
  return messages.some((message) => invalidRequestMessage.test(message)) ? "invalid-request" : "lost"
}

/** What the transport said, in short: its code, else (a refusal to send) the words that say why, without the value
 * it refused (a header's value may be a secret), else its deepest message (`fetch` wraps the cause in "fetch
 * failed"), first line. */
const reasonOf = (found: Found, failure: TransportFailure): string | undefined => {
  if (found.code !== undefined && transportTimeoutCodes.has(found.code)) {
    return `${found.code}: the transport's own timeout, before the call's deadline; for requests that may run this ` +
      "long on Node, use the layers of @ubiops-effect/core/NodeTransport"
  }
  if (found.code !== undefined) return found.code
  if (failure === "invalid-request") {
    for (const message of found.messages) {
      const words = invalidRequestMessage.exec(message)
      if (words !== null) return words[0]
    }
    return "invalid request"
  }
  return found.messages.length === 0 ? undefined : found.messages[found.messages.length - 1].split("\n")[0]
}

/** A failure without a response, with its kind (`TransportFailure`): only a lost connection or a response that
 * broke off may have reached the server. */
export const transportError = (where: Where, error: HttpClientError.HttpClientError): TransportError => {
  const cause = error.cause
  const found = inspect(cause)
  const failure: TransportFailure = error._tag === "ResponseError"
    ? "lost"
    : error.reason === "Transport"
    ? classify(found)
    : "invalid-request"
  const reason = reasonOf(found, failure) ??
    (error._tag === "ResponseError" ? "the response broke off" : error.reason)
  return new TransportError({ ...where, mayHaveReachedServer: failure === "lost", reason, failure, cause })
}
