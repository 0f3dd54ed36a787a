/**
 * The errors of the UbiOps client: one `Schema.TaggedError` class per kind of failure, and their union
 * `UbiOpsError`. Every error names the operation, the HTTP method and path (never the token), the status
 * when there was a response, and the server's message.
 *
 * @since 1.0.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * The mark every error of this library carries, so that `isUbiOpsError` never mistakes another library's error
 * of the same tag (`@effect/platform`'s `HttpApiError.NotFound`, say) for one of ours.
 *
 * @since 1.0.0
 * @category type ids
 */
export const TypeId = "~@ubiops-effect/core/UbiOpsError" as const

/**
 * @since 1.0.0
 * @category type ids
 */
export type TypeId = typeof TypeId

const context = {
  /** The operation id, e.g. `pipelineRequestsGet`. */
  operation: Schema.String,
  /** The HTTP method. */
  method: Schema.String,
  /** The URL path, without host and query string. */
  path: Schema.String
}

const response = {
  ...context,
  status: Schema.Number,
  /** The server's message: `error`, else `error_message`, else an excerpt of the body. */
  serverMessage: Schema.optional(Schema.String)
}

const describe = (
  error: { readonly operation: string; readonly method: string; readonly path: string },
  detail: string
) => `${error.operation} (${error.method} ${error.path}): ${detail}`

const withServerMessage = (status: number, label: string, serverMessage: string | undefined) =>
  `${status} ${label}${serverMessage === undefined ? "" : `: ${serverMessage}`}`

/**
 * The request was refused before anything was sent: a value out of range, too many items, an empty name, data
 * that cannot be serialised.
 *
 * @since 1.0.0
 * @category errors
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>("@ubiops-effect/InvalidRequest")(
  "InvalidRequest",
  {
    operation: Schema.String,
    /** What is wrong, naming the parameter. */
    reason: Schema.String
  }
) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return `${this.operation}: invalid request, nothing was sent: ${this.reason}`
  }
}

/**
 * The server answered 400, or another status without a class of its own: 405, 408, 409, 413, 422..., or a
 * redirect (never followed, so that the token stays with the configured host).
 *
 * @since 1.0.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>("@ubiops-effect/BadRequest")("BadRequest", response) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    const label = this.status === 400 ? "Bad Request" : this.status < 400 ? "Redirect" : "Client Error"
    return describe(this, withServerMessage(this.status, label, this.serverMessage))
  }
}

/**
 * The server answered 401: the token is missing or invalid.
 *
 * @since 1.0.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@ubiops-effect/Unauthorized")(
  "Unauthorized",
  response
) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return describe(this, withServerMessage(this.status, "Unauthorized", this.serverMessage))
  }
}

/**
 * The server answered 403: the token has no permission for this.
 *
 * @since 1.0.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@ubiops-effect/Forbidden")("Forbidden", response) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return describe(this, withServerMessage(this.status, "Forbidden", this.serverMessage))
  }
}

/**
 * The server answered 404: unknown project, pipeline, version or request.
 *
 * @since 1.0.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>("@ubiops-effect/NotFound")("NotFound", response) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return describe(this, withServerMessage(this.status, "Not Found", this.serverMessage))
  }
}

/**
 * The server answered 429 and asked to wait longer than the client is configured to queue for
 * (`retry.maxRateLimitWait`), or the rate window the client tracks reopens later than that, or (a 429 without a
 * wait in its headers) retrying did not help.
 *
 * @since 1.0.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("@ubiops-effect/RateLimited")("RateLimited", {
  ...response,
  /** How long the server asked to wait (`x-ratelimit-reset`, else `Retry-After`), in milliseconds. */
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    const wait = this.retryAfterMillis === undefined ? "" : ` (retry after ${this.retryAfterMillis} ms)`
    return describe(this, withServerMessage(this.status, "Too Many Requests", this.serverMessage) + wait)
  }
}

/**
 * The server answered 5xx.
 *
 * @since 1.0.0
 * @category errors
 */
export class ServerError extends Schema.TaggedError<ServerError>("@ubiops-effect/ServerError")(
  "ServerError",
  response
) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return describe(this, withServerMessage(this.status, "Server Error", this.serverMessage))
  }
}

/**
 * What kind of failure left a call without a response:
 * - `refused`: the connection could not be made for now (refused, network unreachable, a DNS server that did not
 *   answer); the request did not reach the server, and a retry may succeed (a server that is starting);
 * - `unknown-host`: the host name does not exist (DNS `ENOTFOUND`);
 * - `tls`: the TLS handshake failed (a certificate, or an `https` URL to a server that speaks plain `http`);
 * - `invalid-request`: the transport refused to send the request (a header value or URL it cannot carry);
 * - `lost`: the connection broke or the response broke off: the server may have received the request.
 *
 * `unknown-host`, `tls` and `invalid-request` do not go away by waiting: they are never retried.
 *
 * @since 1.0.0
 * @category models
 */
export const TransportFailure = Schema.Literal("refused", "unknown-host", "tls", "invalid-request", "lost")

/**
 * @since 1.0.0
 * @category models
 */
export type TransportFailure = typeof TransportFailure.Type

const transportLabels: Record<TransportFailure, string> = {
  "refused": "could not connect",
  "unknown-host": "the host name does not resolve; check the host",
  "tls": "the TLS handshake failed; check the host's scheme (https to a plain http server?) and certificate",
  "invalid-request": "the transport refused to send the request",
  "lost": "the connection was lost"
}

/**
 * No response arrived: the connection was refused, reset or dropped. `mayHaveReachedServer` says whether the
 * server may have received (and acted on) the request; `failure` says what kind of failure it was (absent: not
 * known, taken as `lost` or `refused` by `mayHaveReachedServer`).
 *
 * @since 1.0.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>("@ubiops-effect/TransportError")(
  "TransportError",
  {
    ...context,
    mayHaveReachedServer: Schema.Boolean,
    reason: Schema.String,
    failure: Schema.optional(TransportFailure),
    cause: Schema.optional(Schema.Defect)
  }
) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  /** Whether waiting cannot help: a host that does not exist, a TLS failure, a request the transport refused. */
  get isPermanent(): boolean {
    return this.failure === "unknown-host" || this.failure === "tls" || this.failure === "invalid-request"
  }
  override get message() {
    const reached = this.mayHaveReachedServer
      ? "the server may have received the request"
      : "the request did not reach the server"
    const label = this.failure === undefined ? "" : `${transportLabels[this.failure]}: `
    return describe(this, `no response (${label}${this.reason}); ${reached}`)
  }
}

/**
 * The client-side deadline passed: of one attempt, or of the whole call with its retries.
 *
 * @since 1.0.0
 * @category errors
 */
export class Timeout extends Schema.TaggedError<Timeout>("@ubiops-effect/Timeout")("Timeout", {
  ...context,
  scope: Schema.Literal("attempt", "call"),
  afterMillis: Schema.Number,
  mayHaveReachedServer: Schema.Boolean
}) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    const reached = this.mayHaveReachedServer ? "; the server may have received the request" : ""
    return describe(this, `timed out after ${this.afterMillis} ms (${this.scope} deadline)${reached}`)
  }
}

/**
 * A response did not match what the operation expects.
 *
 * @since 1.0.0
 * @category errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("@ubiops-effect/DecodeError")("DecodeError", {
  ...context,
  status: Schema.Number,
  /** Where in the value and what is wrong. */
  issue: Schema.String,
  /** The beginning of the body. */
  bodyExcerpt: Schema.String
}) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return describe(this, `unexpected response (status ${this.status}): ${this.issue}; body: ${this.bodyExcerpt}`)
  }
}

/**
 * The sub-request that made a pipeline request fail.
 *
 * @since 1.0.0
 * @category models
 */
export class FailedSubRequest extends Schema.Class<FailedSubRequest>("FailedSubRequest")({
  kind: Schema.Literal("deployment", "operator", "pipeline"),
  id: Schema.String,
  pipelineObject: Schema.NullOr(Schema.String),
  errorMessage: Schema.NullOr(Schema.String)
}) {}

/**
 * A pipeline request ran and ended with status `failed` (typed pipeline handles).
 *
 * @since 1.0.0
 * @category errors
 */
export class PipelineRequestFailed
  extends Schema.TaggedError<PipelineRequestFailed>("@ubiops-effect/PipelineRequestFailed")(
    "PipelineRequestFailed",
    {
      project: Schema.String,
      pipeline: Schema.String,
      version: Schema.NullOr(Schema.String),
      requestId: Schema.String,
      errorMessage: Schema.NullOr(Schema.String),
      failedSubRequest: Schema.NullOr(FailedSubRequest)
    }
  )
{
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    const where = this.failedSubRequest === null
      ? ""
      : ` in ${this.failedSubRequest.kind} object ${this.failedSubRequest.pipelineObject ?? this.failedSubRequest.id}`
    return `pipeline ${this.project}/${this.pipeline} request ${this.requestId} failed${where}: ${
      this.errorMessage ?? "no error message"
    }`
  }
}

/**
 * The output of a typed pipeline did not match its output schema.
 *
 * @since 1.0.0
 * @category errors
 */
export class OutputDecodeError extends Schema.TaggedError<OutputDecodeError>("@ubiops-effect/OutputDecodeError")(
  "OutputDecodeError",
  {
    pipeline: Schema.String,
    requestId: Schema.String,
    issue: Schema.String
  }
) {
  /** @since 1.0.0 */
  readonly [TypeId]: TypeId = TypeId
  override get message() {
    return `pipeline ${this.pipeline} request ${this.requestId}: the output does not match its schema: ${this.issue}`
  }
}

/**
 * Every error an operation of the client can fail with.
 *
 * @since 1.0.0
 * @category errors
 */
export type UbiOpsError =
  | InvalidRequest
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | RateLimited
  | ServerError
  | TransportError
  | Timeout
  | DecodeError
  | PipelineRequestFailed
  | OutputDecodeError

/**
 * An error that came with an HTTP response.
 *
 * @since 1.0.0
 * @category errors
 */
export type ResponseError = BadRequest | Unauthorized | Forbidden | NotFound | RateLimited | ServerError

/**
 * What any call over HTTP can fail with, besides decoding: validation, an error status, no response, a deadline.
 *
 * @since 1.0.0
 * @category errors
 */
export type CallError = InvalidRequest | ResponseError | TransportError | Timeout

/**
 * Whether a value is an error of this library (by its type id, not by its tag).
 *
 * @since 1.0.0
 * @category guards
 */
export const isUbiOpsError = (u: unknown): u is UbiOpsError => Predicate.hasProperty(u, TypeId)
