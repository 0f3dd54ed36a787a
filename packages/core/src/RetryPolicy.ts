/**
 * When and how the client retries a failed call.
 *
 * @since 1.0.0
 */
import * as Duration from "effect/Duration"

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
   * call fails at once with `RateLimited` (default 120 s). */
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
