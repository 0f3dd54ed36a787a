/**
 * When and how the client retries a failed call: the policy's settings, and the one classification of failures
 * (`isRetryable`, `mayHaveReachedServer`) that the client and any loop retrying above it share. Retries above the
 * client pay the client's `RetryBudget` too (`PipelineRequests.retryBudget`), at `retryCost` each.
 *
 * @since 1.0.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as RetryBudget from "./RetryBudget.js"
import type { CallError, DecodeError } from "./UbiOpsError.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  readonly maxRetries: number
  /** The first backoff delay (default 250 ms); each next one is `factor` times longer, jittered. */
  readonly baseDelay: Duration.DurationInput
  /** Default 2. */
  readonly factor: number
  /** No backoff delay is longer than this (default 10 s). */
  readonly maxDelay: Duration.DurationInput
  /** A server that asks to wait longer than this (`x-ratelimit-reset`, `Retry-After`) is not waited for: the
   * call fails at once with `RateLimited` (default 120 s). A shorter wait, plus a 1 s margin, is queueing: it
   * counts against neither the call's deadline, nor `maxRetries`, nor the retry budget, and every call of the
   * client waits for the same window. */
  readonly maxRateLimitWait: Duration.DurationInput
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults: RetryPolicy = {
  maxRetries: 5,
  baseDelay: Duration.millis(250),
  factor: 2,
  maxDelay: Duration.seconds(10),
  maxRateLimitWait: Duration.seconds(120)
}

/**
 * What a retry decision is made on: any failure of a call, decoding included.
 *
 * @since 1.0.0
 * @category models
 */
export type RetryableError = CallError | DecodeError

/**
 * Whether a failed call may be made again: the one rule of the library, for its own retries and for loops that
 * retry above it. A rate limit, always; a lost connection, when the operation is idempotent or the request
 * certainly did not reach the server, unless waiting cannot help (`TransportError.isPermanent`: an unknown host, a
 * TLS failure, a request the transport refused); a 5xx, a 408 or an attempt's deadline, when the operation is
 * idempotent. Never a response that did not decode (the same answer would come back), a refusal, or a call's own
 * deadline.
 *
 * @since 1.0.0
 * @category predicates
 */
export const isRetryable = (error: RetryableError, options: { readonly idempotent: boolean }): boolean => {
  switch (error._tag) {
    case "RateLimited":
      return true
    case "TransportError":
      return !error.isPermanent && (options.idempotent || !error.mayHaveReachedServer)
    case "ServerError":
      return options.idempotent
    case "BadRequest":
      return options.idempotent && error.status === 408
    case "Timeout":
      return options.idempotent && error.scope === "attempt"
    default:
      return false
  }
}

/**
 * Whether the server may have received (and, for a create, acted on) the failed request: a lost connection or a
 * deadline that says so, a 5xx, a 408 (a proxy's or the server's own deadline: the request may be under way
 * behind it), or a response that did not decode. Another refusal (4xx, 429) or a request refused before sending
 * did nothing.
 *
 * @since 1.0.0
 * @category predicates
 */
export const mayHaveReachedServer = (error: RetryableError): boolean => {
  switch (error._tag) {
    case "TransportError":
    case "Timeout":
      return error.mayHaveReachedServer
    case "ServerError":
    case "DecodeError":
      return true
    case "BadRequest":
      return error.status === 408
    default:
      return false
  }
}

/**
 * What one retry after `error` costs in the client's `RetryBudget`: a lost connection or a deadline loads a
 * struggling server more than an error response.
 *
 * @since 1.0.0
 * @category utils
 */
export const retryCost = (error: RetryableError): number =>
  error._tag === "Timeout" || error._tag === "TransportError"
    ? RetryBudget.defaults.timeoutRetryCost
    : RetryBudget.defaults.retryCost

/**
 * Whether a loop that retries above the client may retry after `error`: the error is retryable, and the client's
 * `RetryBudget` pays for it (the tokens are taken). A loop that uses it spends the same budget as the client's own
 * retries, so an outage costs a bounded number of calls however many loops retry.
 *
 * @since 1.0.0
 * @category predicates
 */
export const mayRetry = (
  budget: RetryBudget.RetryBudget,
  error: RetryableError,
  options: { readonly idempotent: boolean }
): Effect.Effect<boolean> => isRetryable(error, options) ? budget.tryAcquire(retryCost(error)) : Effect.succeed(false)

/**
 * The backoff of one call: exponential, jittered, capped, at most `maxRetries`; never sooner than the wait a
 * `RateLimited` error carries.
 *
 * @since 1.0.0
 * @category constructors
 */
export const schedule = (policy: RetryPolicy): Schedule.Schedule<unknown, RetryableError> => {
  const maxDelay = Duration.decode(policy.maxDelay)
  return Schedule.exponential(policy.baseDelay, policy.factor).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.intersect(Schedule.identity<RetryableError>()),
    Schedule.modifyDelay(([, error], delay) =>
      error._tag === "RateLimited" && error.retryAfterMillis !== undefined
        ? Duration.max(delay, Duration.millis(error.retryAfterMillis))
        : delay
    )
  )
}

/**
 * One retry the client is about to make: the options' `onRetry` receives it, so that an application (a progress
 * line) can say what a call waits for while it waits, instead of standing still.
 *
 * @since 1.0.0
 * @category models
 */
export interface RetryEvent {
  /** The operation id, e.g. `pipelineRequestsBatchGet`. */
  readonly operation: string
  /** 1 for the first retry of the call, 2 for the second... */
  readonly retry: number
  /** The backoff before it. */
  readonly delayMillis: number
  /** The failure it follows (its token redacted). */
  readonly error: RetryableError
  /** What failed, in a few words a user understands: `could not connect (ECONNREFUSED)`, `HTTP 503`. */
  readonly reason: string
}

/**
 * What a failure is, in a few words for a progress line: the kind of a failed connection, a status, a deadline.
 *
 * @since 1.0.0
 * @category utils
 */
export const describe = (error: RetryableError): string => {
  switch (error._tag) {
    case "TransportError":
      return error.failure === "refused"
        ? `could not connect (${error.reason})`
        : error.failure === "lost"
        ? `the connection was lost (${error.reason})`
        : `no response (${error.reason})`
    case "Timeout":
      return `no answer within ${Math.round(error.afterMillis / 100) / 10} s`
    case "RateLimited":
      return "rate limited"
    case "InvalidRequest":
      return "invalid request"
    case "DecodeError":
      return `an unexpected response (HTTP ${error.status})`
    default:
      return `HTTP ${error.status}`
  }
}
