/**
 * What a run (or a submission) does with its outstanding requests when it stops early: cancel them (what it knows
 * at once; what chunks still creating made, as they end), or leave them running (`detach`), and the report of it.
 */
import { PipelineRequests, type PipelineTarget, type Service } from "@ubiops-effect/core/PipelineRequests"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Cancellation from "../Cancellation.js"

export const emptyReport = (mode: "cancel" | "detach", outstanding: number): Cancellation.Report => ({
  mode,
  outstanding,
  cancelled: 0,
  alreadyFinished: 0,
  failedToCancel: 0,
  unverified: 0,
  unknownCreates: 0,
  errors: []
})

const sum = (a: Cancellation.Report, b: Cancellation.Report): Cancellation.Report => ({
  mode: a.mode,
  outstanding: a.outstanding + b.outstanding,
  cancelled: a.cancelled + b.cancelled,
  alreadyFinished: a.alreadyFinished + b.alreadyFinished,
  failedToCancel: a.failedToCancel + b.failedToCancel,
  unverified: a.unverified + b.unverified,
  unknownCreates: a.unknownCreates + b.unknownCreates,
  errors: [...a.errors, ...b.errors].slice(0, 5)
})

export interface Outstanding {
  readonly service: Service
  readonly target: PipelineTarget
  readonly mode: "cancel" | "detach"
  /** The requests known now. */
  readonly known: ReadonlyArray<string>
  /** Waits until the chunks still creating have ended (each within the grace period). */
  readonly settle: Effect.Effect<void>
  /** The requests that became known since (what those chunks made), taken once they ended. */
  readonly late: Effect.Effect<ReadonlyArray<string>>
  /** Inputs whose create may or may not have been accepted, once the chunks ended. */
  readonly unknownCreates: Effect.Effect<number>
  /** At most this long for each cancelling phase. */
  readonly timeout: Duration.DurationInput
}

/**
 * Cancels the requests known now and, at the same time, waits for the chunks interrupted while creating to end and
 * cancels what they made: the known ones do not wait for the late ones. Detached, it only counts them.
 */
export const stopOutstanding = (outstanding: Outstanding): Effect.Effect<Cancellation.Report> => {
  const { known, late, mode, settle, target, timeout } = outstanding
  const cancel = (ids: ReadonlyArray<string>) =>
    ids.length === 0
      ? Effect.succeed(emptyReport("cancel", 0))
      : Effect.provideService(
        Cancellation.cancelRequests(target, ids, { timeout }),
        PipelineRequests,
        outstanding.service
      )
  const report = mode === "detach"
    ? Effect.map(Effect.zipRight(settle, late), (lateIds) => emptyReport("detach", known.length + lateIds.length))
    : Effect.map(
      Effect.all([cancel(known), Effect.flatMap(Effect.zipRight(settle, late), cancel)], { concurrency: 2 }),
      ([a, b]) => sum(a, b)
    )
  return Effect.flatMap(
    report,
    (stopped) => Effect.map(outstanding.unknownCreates, (unknownCreates) => ({ ...stopped, unknownCreates }))
  )
}
