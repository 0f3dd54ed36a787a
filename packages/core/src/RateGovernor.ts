/**
 * Paces the calls of one client from the server's rate-limit headers, so that a busy client meets few or no
 * 429s instead of hammering the server and backing off.
 *
 * UbiOps allows a number of requests per minute and says on every response how many are left
 * (`x-ratelimit-remaining`) and in how many seconds the window resets (`x-ratelimit-reset`). The governor
 * counts the calls it lets through against what is left, and when nothing is left it holds further calls
 * until the window resets. Calls still in flight are counted as spent, because the server may not have
 * counted them yet when it answered.
 *
 * @since 1.0.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/**
 * The server's window is spent and resets later than the caller is willing to wait.
 *
 * @since 1.0.0
 * @category errors
 */
export class WindowClosed extends Data.TaggedError("WindowClosed")<{ readonly waitMillis: number }> {}

/**
 * @since 1.0.0
 * @category models
 */
export interface RateLimitHeaders {
  readonly limit: number | undefined
  readonly remaining: number | undefined
  /** Seconds until the window resets. */
  readonly resetSeconds: number | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface RateGovernor {
  /** Waits until the server's window has room for one more call, and counts it; fails at once when that
   * would take longer than `maxWait`. */
  readonly acquire: (maxWait: Duration.Duration) => Effect.Effect<void, WindowClosed>
  /** The call counted by `acquire` got a response carrying these headers (or none). */
  readonly release: (headers: RateLimitHeaders | undefined) => Effect.Effect<void>
  /** The server refused a call with 429 and ordered this wait (the caller's margin included): every call of the
   * client is held until it has passed, so that they wait for the same window instead of each meeting a 429. */
  readonly onRateLimited: (retryAfter: Duration.Duration) => Effect.Effect<void>
}

/**
 * Reads `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (integers, as UbiOps sends them).
 *
 * @since 1.0.0
 * @category utils
 */
export const parseHeaders = (headers: Readonly<Record<string, string | undefined>>): RateLimitHeaders | undefined => {
  const limit = toNumber(headers["x-ratelimit-limit"])
  const remaining = toNumber(headers["x-ratelimit-remaining"])
  const resetSeconds = toNumber(headers["x-ratelimit-reset"])
  return limit === undefined && remaining === undefined && resetSeconds === undefined
    ? undefined
    : { limit, remaining, resetSeconds }
}

const toNumber = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const number = Number(value)
  return Number.isFinite(number) && number >= 0 ? number : undefined
}

/**
 * @since 1.0.0
 * @category constructors
 */
export const make: Effect.Effect<RateGovernor> = Effect.sync(() => {
  let limit: number | undefined
  /** Calls the window still allows, as far as we know; undefined when we do not know. */
  let remaining: number | undefined
  let resetAt: number | undefined
  let inFlight = 0
  /** Until when a 429 ordered every call to wait (epoch milliseconds). */
  let holdUntil = 0

  const resetIfDue = (now: number) => {
    if (resetAt !== undefined && now >= resetAt) {
      resetAt = undefined
      remaining = limit === undefined ? undefined : Math.max(0, limit - inFlight)
    }
  }

  const acquire = (maxWait: Duration.Duration): Effect.Effect<void, WindowClosed> =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      if (now < holdUntil) {
        const held = holdUntil - now
        if (held > Duration.toMillis(maxWait)) return Effect.fail(new WindowClosed({ waitMillis: held }))
        return Effect.zipRight(Effect.sleep(Duration.millis(held)), acquire(maxWait))
      }
      resetIfDue(now)
      if (remaining === undefined || remaining > 0) {
        if (remaining !== undefined) remaining -= 1
        inFlight += 1
        return Effect.void
      }
      if (resetAt === undefined) resetAt = now + 1000
      const wait = Math.max(1, resetAt - now)
      if (wait > Duration.toMillis(maxWait)) return Effect.fail(new WindowClosed({ waitMillis: wait }))
      return Effect.zipRight(Effect.sleep(Duration.millis(wait)), acquire(maxWait))
    })

  const release = (headers: RateLimitHeaders | undefined) =>
    Effect.clockWith((clock) => {
      inFlight = Math.max(0, inFlight - 1)
      if (headers === undefined) return Effect.void
      if (headers.limit !== undefined) limit = headers.limit
      if (headers.remaining !== undefined) remaining = Math.max(0, headers.remaining - inFlight)
      if (headers.resetSeconds !== undefined) resetAt = clock.unsafeCurrentTimeMillis() + headers.resetSeconds * 1000
      return Effect.void
    })

  const onRateLimited = (retryAfter: Duration.Duration) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        const until = now + Duration.toMillis(retryAfter)
        remaining = 0
        resetAt = Math.max(resetAt ?? 0, until)
        holdUntil = Math.max(holdUntil, until)
      }))

  return { acquire, release, onRateLimited }
})

/**
 * A governor that lets every call through.
 *
 * @since 1.0.0
 * @category constructors
 */
export const unlimited: RateGovernor = {
  acquire: () => Effect.void,
  release: () => Effect.void,
  onRateLimited: () => Effect.void
}
