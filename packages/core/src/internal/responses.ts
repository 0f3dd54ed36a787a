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

const refusedCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "ENETUNREACH"])

/** The first `code` found along an error's `cause` chain (Node and undici put it at different depths). */
const errorCode = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** A failure without a response; refused connections certainly did not reach the server. */
export const transportError = (where: Where, error: HttpClientError.HttpClientError): TransportError => {
  const cause = error.cause
  const code = errorCode(cause)
  const reached = error._tag === "ResponseError" ||
    (error.reason === "Transport" && (code === undefined || !refusedCodes.has(code)))
  const reason = code ??
    (cause instanceof Error ? cause.message : error._tag === "ResponseError" ? "the response broke off" : error.reason)
  return new TransportError({ ...where, mayHaveReachedServer: reached, reason, cause })
}
