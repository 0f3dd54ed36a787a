/**
 * Every retry decision the stream package makes above the client's own retries, and the loops that make them.
 *
 * The client (core) already retries each call: with backoff, within the call's deadline, paid from the client's
 * retry budget. A failure that reaches the stream package has survived that. The loops here are for work that
 * must not be given up lightly (a poll round of a run, the reads that find out what an ambiguous create made, a
 * chunk whose create was refused for sure), and they are kept short:
 *
 * - `retryRead`: a list or collect of a reconciliation, at most `readRetries` (3) more times, after 0.5, 1, 2 s;
 * - `retryPoll`: a poll round, at most `pollRetries` (an option of the run, default 5) more times, after 1, 2, 4,
 *   8, 16 s (capped at 30 s);
 * - `createBackoff`: the wait before creating a chunk again (100 ms doubling, capped at 5 s), within the run's
 *   `reconcile.maxAttempts`.
 *
 * Each retry is paid in `payForRetry`: the one place where the client's shared budget will be charged.
 */
import type { ReadError } from "@ubiops-effect/core/PipelineRequests"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** More attempts of a reconciliation's list or collect call, after the client's own retries. */
export const readRetries = 3

/**
 * Whether a failed call may succeed if made again later: a read, or a create that certainly made nothing. A
 * `DecodeError` is not: an answer the client cannot read will not become readable, and core does not retry it.
 */
export const isTransient = (error: ReadError): boolean =>
  error._tag === "ServerError" || error._tag === "TransportError" || error._tag === "Timeout" ||
  error._tag === "RateLimited"

/**
 * Whether a failed create may have created requests on the server: then the run must find out what it made
 * before creating again (see `Reconciliation`).
 */
export const mayHaveCreated = (error: ReadError): boolean => {
  switch (error._tag) {
    case "TransportError":
    case "Timeout":
      return error.mayHaveReachedServer
    case "ServerError":
    case "DecodeError":
      return true
    default:
      return false
  }
}

/**
 * Pays for one retry above the client's: true when it may be made.
 *
 * POST-MERGE (issue 13): charge the client's shared retry budget here, with core's public classification and
 * costs (a retry after a timeout or a lost connection costs more than one after an error response), and return
 * false when the budget cannot pay. Until core exposes the budget, retries above core are free.
 */
const payForRetry = (error: ReadError): Effect.Effect<boolean> => Effect.succeed(isTransient(error))

const exponential = (first: Duration.DurationInput, cap: Duration.DurationInput, retries: number) =>
  Schedule.exponential(first).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.decode(cap))),
    Schedule.intersect(Schedule.recurs(retries))
  )

const readSchedule = exponential("500 millis", "10 seconds", readRetries)

/** A list or collect of a reconciliation, made again when it failed transiently (see the module documentation). */
export const retryRead = <A>(read: Effect.Effect<A, ReadError>): Effect.Effect<A, ReadError> =>
  Effect.retry(read, { schedule: readSchedule, while: payForRetry })

/** A poll round of a run, made again up to `retries` times when it failed transiently. */
export const retryPoll = (retries: number) => {
  const schedule = exponential("1 second", "30 seconds", retries)
  return <A, E extends ReadError>(round: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.retry(round, { schedule, while: payForRetry })
}

/**
 * Whether a chunk's create that failed may be made again: one that may have created requests always may (once the
 * run found out what it made); one that certainly made nothing when it is transient (a rate limit or a refused
 * connection that outlasted the client's retries). Within the run's `reconcile.maxAttempts`.
 */
export const mayCreateAgain = (error: ReadError): Effect.Effect<boolean> =>
  mayHaveCreated(error) ? Effect.succeed(true) : payForRetry(error)

/** The wait before creating a chunk again, after `made` creates of it: 100 ms doubling, capped at 5 s. */
export const createBackoff = (made: number): Duration.Duration =>
  Duration.millis(made === 0 ? 0 : Math.min(5_000, 100 * 2 ** (made - 1)))
