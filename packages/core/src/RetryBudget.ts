/**
 * A retry budget shared by every fiber of one client, in the spirit of the AWS SDKs' retry quota: each retry
 * spends tokens, each success gives one back, and when the budget is spent failures surface instead of being
 * retried. An outage then costs a bounded number of extra calls, however many fibers are calling.
 *
 * @since 1.0.0
 */
import * as Effect from "effect/Effect"

/**
 * @since 1.0.0
 * @category models
 */
export interface RetryBudget {
  /** Takes the tokens of one retry; false when the budget cannot pay for it. */
  readonly tryAcquire: (cost: number) => Effect.Effect<boolean>
  /** A call succeeded: one token comes back (up to the capacity). */
  readonly onSuccess: Effect.Effect<void>
  /** The tokens left. */
  readonly available: Effect.Effect<number>
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  capacity: 500,
  /** A retry after an error response. */
  retryCost: 5,
  /** A retry after a timeout or a lost connection, which load a struggling server more. */
  timeoutRetryCost: 10
} as const

/**
 * @since 1.0.0
 * @category constructors
 */
export const make = (capacity: number = defaults.capacity): Effect.Effect<RetryBudget> =>
  Effect.sync(() => {
    let tokens = capacity
    return {
      tryAcquire: (cost) =>
        Effect.sync(() => {
          if (tokens < cost) return false
          tokens -= cost
          return true
        }),
      onSuccess: Effect.sync(() => {
        if (tokens < capacity) tokens += 1
      }),
      available: Effect.sync(() => tokens)
    }
  })

/**
 * A budget that never runs out.
 *
 * @since 1.0.0
 * @category constructors
 */
export const unlimited: RetryBudget = {
  tryAcquire: () => Effect.succeed(true),
  onSuccess: Effect.void,
  available: Effect.succeed(Number.POSITIVE_INFINITY)
}
