/**
 * When to poll next: the adaptive schedule of `Batch.poll` and `Batch.run`, as an Effect `Schedule` over the
 * waits of `PollingRule`.
 *
 * Each poll reports how many requests it found finished and, once the client has seen requests finish,
 * how long until the next unfinished request is predicted to finish (from the server's `time_started` and
 * `time_completed`). The schedule waits for that prediction when there is one. Without one it is a backoff:
 * `initialDelay`, then `factor` times longer after each poll that found nothing, up to `maxDelay`; a poll
 * that finds something resets it. No wait is ever longer than `maxDelay`.
 *
 * @since 1.0.0
 */
import { InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import * as PollingRule from "./PollingRule.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface Options {
  /** The first wait, and the first step of the backoff. */
  readonly initialDelay: Duration.DurationInput
  /** How much longer each wait of the backoff is than the one before. */
  readonly factor: number
  /** The longest wait between two polls. */
  readonly maxDelay: Duration.DurationInput
  /** How long after a predicted finish to poll, at most (one tenth of the typical request duration when that is
   * shorter), so that requests finishing together are all done. */
  readonly margin: Duration.DurationInput
  /** Requests predicted to finish within this time of the earliest one are waited for together: the most a
   * poll is put off to catch more results in one call. */
  readonly coalesce: Duration.DurationInput
}

/**
 * The defaults: 200 ms, doubling, up to 5 s; 100 ms margin; 1 s coalescing (`PollingRule.defaultSchedule`).
 *
 * @since 1.0.0
 * @category constants
 */
export const defaults: Options = {
  initialDelay: Duration.millis(200),
  factor: 2,
  maxDelay: Duration.seconds(5),
  margin: Duration.millis(100),
  coalesce: Duration.seconds(1)
}

/**
 * The options in milliseconds.
 *
 * @since 1.0.0
 * @category models
 */
export type Resolved = PollingRule.ScheduleOptions

/**
 * The options in milliseconds, or `InvalidRequest` naming what is wrong (a `factor` below 1, or not
 * `0 <= initialDelay <= maxDelay`).
 *
 * @since 1.0.0
 * @category constructors
 */
export const validate = (options: Partial<Options> | undefined): Either.Either<Resolved, InvalidRequest> => {
  const merged = { ...defaults, ...options }
  const resolved: Resolved = {
    initialDelay: Duration.toMillis(merged.initialDelay),
    factor: merged.factor,
    maxDelay: Duration.toMillis(merged.maxDelay),
    margin: Duration.toMillis(merged.margin),
    coalesce: Duration.toMillis(merged.coalesce)
  }
  const problem = PollingRule.scheduleProblem(resolved)
  return problem === undefined
    ? Either.right(resolved)
    : Either.left(new InvalidRequest({ operation: "PollSchedule", reason: problem }))
}

/**
 * The options in milliseconds. Invalid options throw a `RangeError` here, as this is a plain function: `Batch.poll`
 * and `Batch.run` check them with `validate` first and fail with `InvalidRequest`.
 *
 * @since 1.0.0
 * @category constructors
 */
export const resolve = (options: Partial<Options> | undefined): Resolved =>
  Either.getOrThrowWith(validate(options), (error) => new RangeError(`PollSchedule: ${error.reason}`))

/**
 * What one round found: how many requests it polled (0 when it only waited for new requests), how many of
 * them had finished, and in how many milliseconds the next unfinished request is predicted to finish
 * (`undefined` while nothing can be predicted).
 *
 * @since 1.0.0
 * @category models
 */
export type Outcome = PollingRule.Outcome

/**
 * How many polls in a row found nothing, after this outcome.
 *
 * @since 1.0.0
 * @category utils
 */
export const nextEmptyStreak: (emptyStreak: number, outcome: Outcome) => number = PollingRule.nextEmptyStreak

/**
 * The `n`-th step of the backoff (0 is `initialDelay`), capped at `maxDelay`.
 *
 * @since 1.0.0
 * @category utils
 */
export const backoff: (options: Resolved, step: number) => number = PollingRule.backoff

/**
 * The wait after a poll, given how many polls in a row (this one included) found nothing.
 *
 * @since 1.0.0
 * @category utils
 */
export const delayAfter: (options: Resolved, emptyStreak: number, outcome: Outcome) => number = PollingRule.delayAfter

/**
 * The schedule as an Effect `Schedule`: fed with each poll's `Outcome`, it outputs the wait it chose.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make = (options?: Partial<Options>): Schedule.Schedule<Duration.Duration, Outcome> => {
  const resolved = resolve(options)
  return Schedule.makeWithState(0, (now, outcome: Outcome, emptyStreak: number) => {
    const streak = nextEmptyStreak(emptyStreak, outcome)
    const delay = delayAfter(resolved, streak, outcome)
    return Effect.succeed(
      [
        streak,
        Duration.millis(delay),
        ScheduleDecision.continueWith(ScheduleInterval.after(now + delay))
      ] as const
    )
  })
}
