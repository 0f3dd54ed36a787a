/**
 * The requests a run has in flight: what is known of each, which ones to poll next, and when.
 *
 * Everything here is plain synchronous code over a `Map` in registration order (oldest first): a poll round
 * costs a few passes over at most the window, never an effect per request.
 *
 * Predictions are in server time. A processing request should finish `duration` after it started. A request
 * that has not started should finish `turnaround` after it was created, and not before the earliest processing
 * request finished and left its worker plus one `duration`. A request polled after its predicted finish and
 * found unfinished is checked again after a backoff (`PollSchedule.backoff`, one step more each time).
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { isTerminalStatus } from "@ubiops-effect/core/Models"
import * as PollSchedule from "../PollSchedule.js"
import { type Estimates, parseMillis } from "./estimates.js"

const NOT_STARTED = 0
const PROCESSING = 1

/** Timestamps of the finished requests of one poll that feed the estimates: enough to follow the trend. */
const samplesPerPoll = 16

/**
 * One request in flight. `I` is what the caller attached to it (the input of a run).
 */
export class Tracked<I> {
  state = NOT_STARTED
  /** Server time the request was created (ms), or NaN. */
  created: number
  /** Server time the request started processing (ms), or NaN. */
  started = Number.NaN
  /** Polls in a row that found it unfinished after its predicted finish. */
  misses = 0
  /** Server time before which it is not worth polling again (after a miss). */
  recheckAt = Number.NEGATIVE_INFINITY
  /** Whether the plan being executed polls it as due. */
  due = false

  constructor(
    readonly id: string,
    readonly index: number,
    readonly input: I,
    readonly chunk: number,
    created: number
  ) {
    this.created = created
  }
}

export interface Finished<I> {
  readonly tracked: Tracked<I>
  readonly detail: PipelineRequestDetail
}

export class Window<I> {
  readonly items = new Map<string, Tracked<I>>()
  processing = 0

  constructor(readonly estimates: Estimates, readonly schedule: PollSchedule.Resolved, readonly maxIds: number) {}

  get size(): number {
    return this.items.size
  }

  get notStarted(): number {
    return this.items.size - this.processing
  }

  add(tracked: Tracked<I>): boolean {
    if (this.items.has(tracked.id)) return false
    this.items.set(tracked.id, tracked)
    return true
  }

  /** The ids of every request in flight, oldest first. */
  ids(): Array<string> {
    return Array.from(this.items.keys())
  }

  private earliestProcessingFinish(): number {
    const duration = this.estimates.duration
    if (Number.isNaN(duration) || this.processing === 0) return Number.NaN
    let earliest = Number.POSITIVE_INFINITY
    for (const tracked of this.items.values()) {
      if (tracked.state === PROCESSING && !Number.isNaN(tracked.started)) {
        const finish = tracked.started + duration
        if (finish < earliest) earliest = finish
      }
    }
    return earliest === Number.POSITIVE_INFINITY ? Number.NaN : earliest
  }

  /** Predicted finish (server ms) of one request; NaN when nothing can be predicted. */
  private predictedFinish(tracked: Tracked<I>, workerFree: number, fallbackCreated: number): number {
    const { duration, turnaround } = this.estimates
    let finish = Number.NaN
    if (tracked.state === PROCESSING && !Number.isNaN(tracked.started) && !Number.isNaN(duration)) {
      finish = tracked.started + duration
    } else {
      if (!Number.isNaN(turnaround)) {
        finish = (Number.isNaN(tracked.created) ? fallbackCreated : tracked.created) + turnaround
      }
      if (tracked.state !== PROCESSING && !Number.isNaN(workerFree)) {
        const afterWorkerFree = workerFree + duration
        if (Number.isNaN(finish) || afterWorkerFree > finish) finish = afterWorkerFree
      }
    }
    if (Number.isNaN(finish)) return finish
    return tracked.recheckAt > finish ? tracked.recheckAt : finish
  }

  /**
   * The ids to poll now: every request predicted to have finished (oldest first, at most `maxGroups` calls of
   * `maxIds`), the last call filled up with the oldest other requests. When none is predicted to have finished
   * (nothing predicted yet, or the schedule's cap came first), one call with the oldest requests.
   */
  plan(now: number, maxGroups: number): Array<Array<string>> {
    const nowServer = now + this.estimates.offset
    const capacity = this.maxIds * maxGroups
    const selected: Array<string> = []
    if (this.estimates.known) {
      const workerFree = this.earliestProcessingFinish()
      for (const tracked of this.items.values()) {
        tracked.due = false
        if (selected.length >= capacity) continue
        const finish = this.predictedFinish(tracked, workerFree, nowServer)
        if (finish <= nowServer) {
          tracked.due = true
          selected.push(tracked.id)
        }
      }
    }
    const groups: Array<Array<string>> = []
    for (let start = 0; start < selected.length; start += this.maxIds) {
      groups.push(selected.slice(start, start + this.maxIds))
    }
    const last = groups.length === 0 ? [] : groups[groups.length - 1]
    if (groups.length === 0) groups.push(last)
    if (last.length < this.maxIds) {
      for (const tracked of this.items.values()) {
        if (last.length >= this.maxIds) break
        if (!tracked.due) {
          last.push(tracked.id)
          tracked.due = false
        }
      }
    }
    return last.length === 0 ? [] : groups
  }

  /**
   * Milliseconds from `now` until the next poll is worth making: the earliest predicted finish, waiting for the
   * others predicted within the coalescing time, plus the margin. `undefined` while nothing can be predicted.
   */
  predictedDelay(now: number): number | undefined {
    if (!this.estimates.known || this.items.size === 0) return undefined
    const nowServer = now + this.estimates.offset
    const workerFree = this.earliestProcessingFinish()
    let earliest = Number.POSITIVE_INFINITY
    for (const tracked of this.items.values()) {
      const finish = this.predictedFinish(tracked, workerFree, nowServer)
      if (finish < earliest) earliest = finish
    }
    if (earliest === Number.POSITIVE_INFINITY) return undefined
    const typical = Number.isNaN(this.estimates.duration) ? this.estimates.turnaround : this.estimates.duration
    const coalesce = Math.min(this.schedule.coalesce, typical / 4)
    const margin = Math.min(this.schedule.margin, typical / 10)
    let target = earliest
    if (coalesce > 0) {
      for (const tracked of this.items.values()) {
        const finish = this.predictedFinish(tracked, workerFree, nowServer)
        if (finish > target && finish <= earliest + coalesce) target = finish
      }
    }
    return target + margin - nowServer
  }

  /**
   * Takes in the details a poll returned at `receivedAt` (local): removes and returns the finished requests,
   * and updates what is known of the others.
   */
  observe(details: ReadonlyArray<PipelineRequestDetail>, receivedAt: number): Array<Finished<I>> {
    const estimates = this.estimates
    const finished: Array<Finished<I>> = []
    let samples = 0
    let latest = Number.NaN
    for (let i = 0; i < details.length; i++) {
      const detail = details[i]
      const tracked = this.items.get(detail.id)
      if (tracked === undefined) continue
      if (isTerminalStatus(detail.status)) {
        this.items.delete(detail.id)
        if (tracked.state === PROCESSING) this.processing--
        finished.push({ tracked, detail })
        if (samples < samplesPerPoll) {
          samples++
          const completed = parseMillis(detail.time_completed)
          const created = parseMillis(detail.time_created)
          estimates.observeFinished(created, parseMillis(detail.time_started), completed)
          if (!(completed <= latest)) latest = completed
        }
        continue
      }
      if (Number.isNaN(tracked.created)) tracked.created = parseMillis(detail.time_created)
      if (detail.status === "processing" && tracked.state !== PROCESSING) {
        tracked.state = PROCESSING
        this.processing++
        tracked.started = parseMillis(detail.time_started)
        tracked.misses = 0
        tracked.recheckAt = Number.NEGATIVE_INFINITY
        if (!(tracked.started <= latest)) latest = tracked.started
      } else if (tracked.due) {
        tracked.misses++
        tracked.recheckAt = receivedAt + estimates.offset +
          PollSchedule.backoff(this.schedule, tracked.misses - 1)
      }
    }
    estimates.observeTimestamp(latest, receivedAt)
    return finished
  }
}
