/**
 * The requests a run has in flight: what is known of each, which ones to poll next, and when.
 *
 * Everything here is plain synchronous code over a `Map` in registration order (oldest first): a poll round
 * costs a few passes over at most the window, never an effect per request.
 *
 * Predictions are in server time (see `predict`). A request polled after its predicted finish and found
 * unfinished is checked again after a backoff (`PollSchedule.backoff`, one step more each time).
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { isTerminalStatus } from "@ubiops-effect/core/Models"
import * as PollSchedule from "../PollSchedule.js"
import { type Estimates, parseMillis } from "./estimates.js"

/** Not seen by a poll yet. */
const NEW = 0
/** Seen pending: queued behind others. */
const PENDING = 1
const PROCESSING = 2

/** Timestamps of the finished requests of one poll that feed the estimates: enough to follow the trend. */
const samplesPerPoll = 16

/**
 * One request in flight. `I` is what the caller attached to it (the input of a run).
 */
export class Tracked<I> {
  state = NEW
  /** Server time the request was created (ms), or NaN. */
  created: number
  /** Server time the request started processing (ms), or NaN. */
  started = Number.NaN
  /** Polls in a row that found it unfinished after its predicted finish. */
  misses = 0
  /** Server time before which it is not worth polling again (after a miss). */
  recheckAt = Number.NEGATIVE_INFINITY
  /** Its predicted finish (server ms), NaN when unknown: see `Window.predict`. */
  predicted = Number.NaN
  /** Whether the plan being executed polls it as due. */
  due = false
  /** The detail of the poll that saw it finished. */
  detail: PipelineRequestDetail | undefined = undefined

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

/** A request seen finished, with the detail the poll returned. */
export type Finished<I> = Tracked<I> & { readonly detail: PipelineRequestDetail }

/** The later of two times, either of which may be NaN. */
const later = (a: number, b: number): number => Number.isNaN(a) || b > a ? b : a

export class Window<I> {
  readonly items = new Map<string, Tracked<I>>()
  processing = 0
  /** Requests seen pending: evidence that the workers are busy and ours wait in the queue. */
  pending = 0

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

  /**
   * Predicts when each request should finish (server ms, in `predicted`; NaN when nothing can be predicted).
   *
   * A processing request: `duration` after it started. When some of ours were seen pending, the workers are
   * busy and requests not started yet wait in one queue, oldest first, for the workers that run ours: with W of
   * ours processing, predicted to finish at F_0 <= ... <= F_{W-1}, the j-th waiting request should finish at
   * `F_(j mod W) + (floor(j / W) + 1) * duration`. Otherwise `turnaround` after its creation, or now when its
   * creation is unknown (a request adopted on resume may have finished while nobody watched). Never before the
   * recheck time of a request that was found unfinished after its predicted finish.
   */
  private predict(nowServer: number): void {
    const { duration, turnaround } = this.estimates
    const finishes: Array<number> = []
    for (const tracked of this.items.values()) {
      let finish = Number.NaN
      if (tracked.state === PROCESSING && !Number.isNaN(tracked.started) && !Number.isNaN(duration)) {
        finish = tracked.started + duration
        if (tracked.recheckAt > finish) finish = tracked.recheckAt
        finishes.push(finish)
      }
      tracked.predicted = finish
    }
    finishes.sort((a, b) => a - b)
    const workers = this.pending > 0 ? finishes.length : 0
    let waiting = 0
    for (const tracked of this.items.values()) {
      if (!Number.isNaN(tracked.predicted)) continue
      let finish = Number.NaN
      if (workers > 0) {
        finish = finishes[waiting % workers] + (Math.floor(waiting / workers) + 1) * duration
        waiting++
      } else if (!Number.isNaN(turnaround)) {
        // created before this run knew of it (adopted on resume, or ids given to poll): it may be done already
        finish = Number.isNaN(tracked.created) ? nowServer : tracked.created + turnaround
      }
      tracked.predicted = tracked.recheckAt > finish ? tracked.recheckAt : finish
    }
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
    if (this.estimates.known) this.predict(nowServer)
    for (const tracked of this.items.values()) {
      tracked.due = false
      if (selected.length < capacity && tracked.predicted <= nowServer) {
        tracked.due = true
        selected.push(tracked.id)
      }
    }
    const groups: Array<Array<string>> = []
    for (let start = 0; start < selected.length; start += this.maxIds) {
      groups.push(selected.slice(start, start + this.maxIds))
    }
    if (groups.length === 0) groups.push([])
    const last = groups[groups.length - 1]
    if (last.length < this.maxIds) {
      for (const tracked of this.items.values()) {
        if (last.length >= this.maxIds) break
        if (!tracked.due) last.push(tracked.id)
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
    this.predict(nowServer)
    let earliest = Number.POSITIVE_INFINITY
    for (const tracked of this.items.values()) {
      if (tracked.predicted < earliest) earliest = tracked.predicted
    }
    if (earliest === Number.POSITIVE_INFINITY) return undefined
    const horizon = earliest + this.schedule.coalesce
    let target = earliest
    for (const tracked of this.items.values()) {
      if (tracked.predicted > target && tracked.predicted <= horizon) target = tracked.predicted
    }
    const typical = Number.isNaN(this.estimates.duration) ? this.estimates.turnaround : this.estimates.duration
    return target + Math.min(this.schedule.margin, typical / 10) - nowServer
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
        else if (tracked.state === PENDING) this.pending--
        tracked.detail = detail
        finished.push(tracked as Finished<I>)
        if (samples < samplesPerPoll) {
          samples++
          const completed = parseMillis(detail.time_completed)
          const created = parseMillis(detail.time_created)
          estimates.observeFinished(created, parseMillis(detail.time_started), completed)
          latest = later(latest, completed)
        }
        continue
      }
      if (Number.isNaN(tracked.created)) tracked.created = parseMillis(detail.time_created)
      if (detail.status === "pending" && tracked.state === NEW) {
        tracked.state = PENDING
        this.pending++
      }
      if (detail.status === "processing" && tracked.state !== PROCESSING) {
        if (tracked.state === PENDING) this.pending--
        tracked.state = PROCESSING
        this.processing++
        tracked.started = parseMillis(detail.time_started)
        tracked.misses = 0
        tracked.recheckAt = Number.NEGATIVE_INFINITY
        latest = later(latest, tracked.started)
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
