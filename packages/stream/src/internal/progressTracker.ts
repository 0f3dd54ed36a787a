/**
 * The counts of a run, published to its `Progress` after each step.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as Cancellation from "../Cancellation.js"
import type { Phase, Progress, Snapshot } from "../Progress.js"

export class Tracker {
  submitted = 0
  pending = 0
  processing = 0
  completed = 0
  failed = 0
  cancelled = 0
  emitted = 0
  phase: Phase = "running"
  interruption: Cancellation.Report | undefined = undefined
  private startedAt = Number.NaN
  private readonly samples: Array<readonly [number, number]> = []

  constructor(readonly ref: Progress | undefined, readonly total: number | undefined) {}

  private snapshot(now: number): Snapshot {
    if (Number.isNaN(this.startedAt)) this.startedAt = now
    const done = this.completed + this.failed + this.cancelled
    const samples = this.samples
    const last = samples[samples.length - 1]
    if (last === undefined || now - last[0] >= 250) samples.push([now, done])
    while (samples.length > 2 && now - samples[0][0] > 10_000) samples.shift()
    const [since, doneThen] = samples[0]
    const span = now - since
    return {
      phase: this.phase,
      total: this.total,
      submitted: this.submitted,
      pending: this.pending,
      processing: this.processing,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      emitted: this.emitted,
      resultsPerSecond: span > 0 ? ((done - doneThen) * 1000) / span : 0,
      elapsedMillis: now - this.startedAt,
      interruption: this.interruption
    }
  }

  /** Publishes the current counts. */
  readonly publish: Effect.Effect<void> = Effect.suspend(() =>
    this.ref === undefined
      ? Effect.void
      : Effect.flatMap(Clock.currentTimeMillis, (now) => SubscriptionRef.set(this.ref!, this.snapshot(now)))
  )
}
