/**
 * Every retry decision the stream package makes above the client's own retries, and the loops that make them.
 *
 * The client (core) already retries each call: with backoff, within the call's deadline, paid from the client's
 * retry budget. A failure that reaches the stream package has survived that. The loops here are for work that
 * must not be given up lightly (a poll round of a run, the reads that find out what an ambiguous create made, a
 * chunk whose create was refused for sure), and they are kept short:
 *
 * - `retryRead`: a list or collect of a reconciliation, at most `readRetries` (3) more times, after about 0.5, 1,
 *   2 s;
 * - `retryPoll`: a poll round, at most `pollRetries` (an option of the run, default 5) more times, after about 1, 2,
 *   4, 8, 16 s (capped at 30 s);
 * - `createBackoff`: the wait before creating a chunk again (100 ms doubling, capped at 5 s), within the run's
 *   `reconcile.maxAttempts`.
 *
 * The decisions are core's (`RetryPolicy.isRetryable`, `RetryPolicy.mayHaveReachedServer`): reads are idempotent,
 * a create is made again only when it certainly made nothing. Each retry is paid in `payForRetry`, from the same
 * `RetryBudget` as the client's own retries (`Service.retryBudget`), so during an outage the budget bounds the
 * calls of the whole client, loops above it included: once it is spent, the loops stop and the error surfaces.
 * The backoff is core's schedule (`RetryPolicy.schedule`, jittered like the client's own), with the loop's first
 * delay, cap and number of retries: a wait the server asks for (`RateLimited.retryAfterMillis`) is honoured, up to
 * core's default `maxRateLimitWait` (120 s); a longer one is not waited for (the error surfaces).
 */
import type { ReadError, Service } from "@ubiops-effect/core/PipelineRequests"
import * as RetryBudget from "@ubiops-effect/core/RetryBudget"
import * as RetryPolicy from "@ubiops-effect/core/RetryPolicy"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** More attempts of a reconciliation's list or collect call, after the client's own retries. */
export const readRetries = 3

/** The budget the client's calls share: the loops above it pay from it too (unlimited for a service that does not
 * retry, such as a test's fake). */
const budgetOf = (service: Service): RetryBudget.RetryBudget => service.retryBudget ?? RetryBudget.unlimited

const maxRateLimitWaitMillis = Duration.toMillis(RetryPolicy.defaults.maxRateLimitWait)

/**
 * Pays for one retry above the client's: true when it may be made. The error must be retryable by core's rule and
 * the client's retry budget must pay its cost (`RetryPolicy.retryCost`); a rate limit whose wait is longer than
 * core would wait is not retried either.
 */
const payForRetry = (
  budget: RetryBudget.RetryBudget,
  error: ReadError,
  options: { readonly idempotent: boolean }
): Effect.Effect<boolean> => {
  if (error._tag === "RateLimited" && (error.retryAfterMillis ?? 0) > maxRateLimitWaitMillis) {
    return Effect.succeed(false)
  }
  // A read that ran out of its whole call's deadline is the one failure core cannot retry itself (its deadline is
  // spent); a loop above it makes the call anew, so a run outlives a slow minute. Paid like any other retry.
  if (options.idempotent && error._tag === "Timeout" && error.scope === "call") {
    return budget.tryAcquire(RetryPolicy.retryCost(error))
  }
  return RetryPolicy.mayRetry(budget, error, options)
}

/**
 * Core's backoff (`RetryPolicy.schedule`: exponential from `first`, doubling, jittered, capped at `cap`, at most
 * `retries` retries, never sooner than a rate limit asks), each retry paid from `budget` (checked last: a retry the
 * schedule would not make is not paid for).
 */
const readLoop = (
  first: Duration.DurationInput,
  cap: Duration.DurationInput,
  retries: number,
  budget: RetryBudget.RetryBudget
): Schedule.Schedule<unknown, ReadError> =>
  RetryPolicy.schedule({
    ...RetryPolicy.defaults,
    baseDelay: first,
    maxDelay: cap,
    maxRetries: retries
  }).pipe(Schedule.checkEffect((error) => payForRetry(budget, error, { idempotent: true })))

/** A list or collect of a reconciliation, made again when it failed transiently (see the module documentation). */
export const retryRead = (service: Service) => {
  const budget = budgetOf(service)
  return <A>(read: Effect.Effect<A, ReadError>): Effect.Effect<A, ReadError> =>
    Effect.retry(read, readLoop("500 millis", "10 seconds", readRetries, budget))
}

/** A poll round of a run, made again up to `retries` times when it failed transiently. */
export const retryPoll = (service: Service, retries: number) => {
  const schedule = readLoop("1 second", "30 seconds", retries, budgetOf(service))
  return <A, E extends ReadError>(round: Effect.Effect<A, E>): Effect.Effect<A, E> => Effect.retry(round, schedule)
}

/**
 * Whether a create that failed and certainly made nothing (not `RetryPolicy.mayHaveReachedServer`) may be made
 * again: when core would retry it (`isRetryable(error, { idempotent: false })`: a rate limit, a connection refused
 * before sending) and the client's budget pays for it. Within the run's `reconcile.maxAttempts`. (A create that may
 * have made requests is always made again, once the run found out what it made: see `Reconciliation`.)
 */
export const mayCreateAgain = (service: Service, error: ReadError): Effect.Effect<boolean> =>
  payForRetry(budgetOf(service), error, { idempotent: false })

/** The wait before creating a chunk again, after `made` creates of it: 100 ms doubling, capped at 5 s. */
export const createBackoff = (made: number): Duration.Duration =>
  Duration.millis(made === 0 ? 0 : Math.min(5_000, 100 * 2 ** (made - 1)))
