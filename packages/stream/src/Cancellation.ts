/**
 * Cancelling many requests at once, and the report of what a run did with its outstanding requests when it
 * stopped early.
 *
 * @since 1.0.0
 */
import { isTerminalStatus } from "@ubiops-effect/core/Models"
import { PipelineRequests, type PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { runBounded } from "./internal/interruption.js"
import { maxItemsPerCall } from "./internal/limits.js"

/**
 * What happened to the requests a run left unfinished when it stopped early.
 *
 * @since 1.0.0
 * @category models
 */
export interface Report {
  /** `cancel`: the outstanding requests were cancelled; `detach`: they were left running. */
  readonly mode: "cancel" | "detach"
  /** Requests the run had created that it had not seen finish. */
  readonly outstanding: number
  /** Requests that are cancelled now. */
  readonly cancelled: number
  /** Requests that had finished (completed or failed) before the cancel reached them. */
  readonly alreadyFinished: number
  /** Requests whose cancel failed or did not end in time; they may still run. */
  readonly failedToCancel: number
  /** Requests whose cancel was accepted but whose status could not be checked afterwards. */
  readonly unverified: number
  /** Inputs whose create was in flight and did not answer in time: they may exist on the server. */
  readonly unknownCreates: number
  /** What went wrong, when something did (at most a few messages). */
  readonly errors: ReadonlyArray<string>
}

/**
 * @since 1.0.0
 * @category models
 */
export interface CancelOptions {
  /** At most this long for the whole operation (default 5 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Calls in flight at once (default 4). */
  readonly concurrency?: number | undefined
}

/**
 * The defaults of `cancelRequests`.
 *
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  timeout: Duration.seconds(5),
  concurrency: 4
} as const

const maxErrors = 5

/** A cancel the server answered with a refusal, for the whole group: one id it cannot find (deleted, say), a group it
 * will not take, or an error of its own. A smaller group may pass; an outage, a timeout or a rate limit would not. */
const refusedGroup = (error: { readonly _tag: string }): boolean =>
  error._tag === "BadRequest" || error._tag === "NotFound" || error._tag === "ServerError"

/**
 * Cancels requests with batch cancels of at most 250 ids, then looks at each batch to tell which were cancelled
 * and which had already finished. A batch cancel the server refuses (400, 404, 5xx) is tried again in two halves,
 * down to single requests (cancelled one by one), so that one request the server will not cancel does not leave the
 * 249 others running. Never fails: failures are counted in the report. Bounded by `timeout`, also when it runs in a
 * finalizer.
 *
 * @since 1.0.0
 * @category cancellation
 */
export const cancelRequests = (
  target: PipelineTarget,
  requestIds: ReadonlyArray<string>,
  options?: CancelOptions
): Effect.Effect<Report, never, PipelineRequests> =>
  Effect.gen(function*() {
    const service = yield* PipelineRequests
    const counts = { cancelled: 0, alreadyFinished: 0, failedToCancel: 0, unverified: 0 }
    const errors = new Set<string>()
    const noteError = (error: { readonly message: string }) => {
      if (errors.size < maxErrors) errors.add(error.message)
    }
    const groups: Array<ReadonlyArray<string>> = []
    for (let start = 0; start < requestIds.length; start += maxItemsPerCall) {
      groups.push(requestIds.slice(start, start + maxItemsPerCall))
    }
    let settled = 0
    /** Ids whose cancel the server accepted and whose status is not checked yet. */
    let accepted = 0
    const cancelGroup = (ids: ReadonlyArray<string>): Effect.Effect<void> =>
      Effect.gen(function*() {
        const cancelled = yield* Effect.either(
          ids.length === 1 ? service.cancel(target, ids[0]) : service.cancelBatch(target, ids)
        )
        if (cancelled._tag === "Left") {
          noteError(cancelled.left)
          if (ids.length > 1 && refusedGroup(cancelled.left)) {
            const half = Math.ceil(ids.length / 2)
            yield* cancelGroup(ids.slice(0, half))
            return yield* cancelGroup(ids.slice(half))
          }
          counts.failedToCancel += ids.length
          settled += ids.length
          return
        }
        accepted += ids.length
        const details = yield* Effect.either(service.collect(target, ids))
        if (details._tag === "Left") {
          noteError(details.left)
          counts.unverified += ids.length
          settled += ids.length
          accepted -= ids.length
          return
        }
        for (const detail of details.right) {
          if (detail.status === "cancelled" || detail.status === "cancelled_pending") counts.cancelled++
          else if (isTerminalStatus(detail.status)) counts.alreadyFinished++
          else counts.failedToCancel++
        }
        counts.unverified += ids.length - details.right.length
        settled += ids.length
        accepted -= ids.length
      })
    const timeout = options?.timeout ?? defaults.timeout
    const exit = yield* runBounded(
      Effect.forEach(groups, cancelGroup, { concurrency: options?.concurrency ?? defaults.concurrency, discard: true }),
      timeout
    )
    if (exit === undefined) {
      noteError({ message: `cancelling did not finish within ${Duration.format(timeout)}` })
      counts.unverified += accepted
      counts.failedToCancel += requestIds.length - settled - accepted
    }
    return {
      mode: "cancel",
      outstanding: requestIds.length,
      ...counts,
      unknownCreates: 0,
      errors: Array.from(errors)
    } satisfies Report
  })
