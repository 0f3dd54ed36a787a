/**
 * The polling rule of `Batch.poll` and `Batch.run`, as plain TypeScript: which requests to poll and when.
 *
 * This module imports nothing but its estimates (`internal/estimates.ts`, which imports nothing): no Effect, no
 * other module of the client, so that a program without Effect can use it: the benchmark's raw reference client polls with this very rule. `PollSchedule` wraps the waits in an
 * Effect `Schedule`; the run keeps its requests in flight in a `Window`.
 *
 * - What to poll: every request predicted to have finished (oldest first, at most `maxGroups` calls of `maxIds`),
 *   the last call filled up with the oldest other requests; with no prediction, one call with the oldest.
 * - When: at the next predicted finish, waiting for the others predicted within `coalesce`, plus a margin.
 *   Without a prediction, a backoff: `initialDelay`, `factor` times longer after each poll that found nothing,
 *   up to `maxDelay`; a poll that finds something resets it.
 * - Predictions come from the server's timestamps (`Estimates`): how long requests run, how long they take from
 *   creation, how far the server's clock is from ours, and a first-in-first-out model of the queue.
 *
 * Times are epoch milliseconds; NaN stands for "unknown" in the hot fields, which are read per request and round.
 *
 * @since 1.0.0
 */
import { Estimates, parseMillis } from "./internal/estimates.js"

/**
 * The options of the schedule, in milliseconds (see `PollSchedule.Options`).
 *
 * @since 1.0.0
 * @category models
 */
export interface ScheduleOptions {
  readonly initialDelay: number
  readonly factor: number
  readonly maxDelay: number
  readonly margin: number
  readonly coalesce: number
}

/**
 * `PollSchedule.defaults` in milliseconds: 200 ms, doubling, up to 5 s; 100 ms margin; 1 s coalescing.
 *
 * @since 1.0.0
 * @category constants
 */
export const defaultSchedule: ScheduleOptions = {
  initialDelay: 200,
  factor: 2,
  maxDelay: 5000,
  margin: 100,
  coalesce: 1000
}

/**
 * What is wrong with schedule options, or `undefined` when they are usable.
 *
 * @since 1.0.0
 * @category validation
 */
export const scheduleProblem = (options: ScheduleOptions): string | undefined => {
  if (!(options.factor >= 1)) return `factor must be at least 1, got ${options.factor}`
  if (!(options.initialDelay >= 0 && options.maxDelay >= options.initialDelay)) {
    return "need 0 <= initialDelay <= maxDelay"
  }
  return undefined
}

/**
 * What one round found: how many requests it polled (0 when it only waited for new requests), how many of
 * them had finished, and in how many milliseconds the next unfinished request is predicted to finish
 * (`undefined` while nothing can be predicted).
 *
 * @since 1.0.0
 * @category models
 */
export interface Outcome {
  readonly polled: number
  readonly finished: number
  readonly predictedMillis: number | undefined
}

/**
 * How many polls in a row found nothing, after this outcome.
 *
 * @since 1.0.0
 * @category schedule
 */
export const nextEmptyStreak = (emptyStreak: number, outcome: Outcome): number =>
  outcome.polled === 0 ? emptyStreak : outcome.finished > 0 ? 0 : emptyStreak + 1

/**
 * The `n`-th step of the backoff (0 is `initialDelay`), capped at `maxDelay`.
 *
 * @since 1.0.0
 * @category schedule
 */
export const backoff = (options: ScheduleOptions, step: number): number =>
  Math.min(options.maxDelay, options.initialDelay * Math.pow(options.factor, step))

/**
 * The wait after a poll, given how many polls in a row (this one included) found nothing.
 *
 * @since 1.0.0
 * @category schedule
 */
export const delayAfter = (options: ScheduleOptions, emptyStreak: number, outcome: Outcome): number =>
  outcome.predictedMillis === undefined
    ? backoff(options, emptyStreak)
    : Math.min(options.maxDelay, Math.max(0, outcome.predictedMillis))

/**
 * The schedule with its state, for a loop without Effect: fed each round's outcome, it says how long to wait.
 *
 * @since 1.0.0
 * @category schedule
 */
export class Pacer {
  private emptyStreak = 0
  constructor(readonly options: ScheduleOptions) {}

  next(outcome: Outcome): number {
    this.emptyStreak = nextEmptyStreak(this.emptyStreak, outcome)
    return delayAfter(this.options, this.emptyStreak, outcome)
  }
}

/**
 * What the client learns from the server's timestamps: typical run time and turnaround, and the clock offset.
 *
 * @since 1.0.0
 * @category estimates
 */
export { Estimates, parseMillis }

/**
 * The fields of a request detail the rule reads.
 *
 * @since 1.0.0
 * @category models
 */
export interface DetailLike {
  readonly id: string
  readonly status: string
  readonly time_created?: string | null | undefined
  readonly time_started?: string | null | undefined
  readonly time_completed?: string | null | undefined
}

/**
 * Whether a status is final: `completed`, `failed` or `cancelled`.
 *
 * @since 1.0.0
 * @category models
 */
export const isTerminal = (status: string): boolean =>
  status === "completed" || status === "failed" || status === "cancelled"

/** Not seen by a poll yet. */
const NEW = 0
/** Seen pending: queued behind others. */
const PENDING = 1
const PROCESSING = 2

/** Timestamps of the finished requests of one poll that feed the estimates: enough to follow the trend. */
const samplesPerPoll = 16

/**
 * One request in flight. `I` is what the caller attached to it (the input of a run).
 *
 * @since 1.0.0
 * @category models
 */
export class Tracked<I, D extends DetailLike = DetailLike> {
  state = NEW
  /** Server time the request started processing (ms), or NaN. */
  started = Number.NaN
  /** Polls in a row that found it unfinished after its predicted finish. */
  misses = 0
  /** Server time before which it is not worth polling again (after a miss). */
  recheckAt = Number.NEGATIVE_INFINITY
  /** Its predicted finish (server ms), NaN when unknown. */
  predicted = Number.NaN
  /** Whether the plan being executed polls it as due. */
  due = false
  /** The detail of the poll that saw it finished. */
  detail: D | undefined = undefined

  constructor(
    readonly id: string,
    /** The position of its input, from 0. */
    readonly index: number,
    readonly input: I,
    /** The chunk (group of ids) it came in. */
    readonly chunk: number,
    /** Server time the request was created (ms), or NaN. */
    public created: number
  ) {}
}

/**
 * A request seen finished, with the detail the poll returned.
 *
 * @since 1.0.0
 * @category models
 */
export type Finished<I, D extends DetailLike = DetailLike> = Tracked<I, D> & { readonly detail: D }

/**
 * A request a poll did not find: the server no longer has it (deleted, or not kept after it finished, as with
 * retention `none`), so how it ended cannot be known.
 *
 * @since 1.0.0
 * @category models
 */
export type Gone<I, D extends DetailLike = DetailLike> = Tracked<I, D> & { readonly detail: undefined }

/**
 * A request that left the window: finished, or gone.
 *
 * @since 1.0.0
 * @category models
 */
export type Ended<I, D extends DetailLike = DetailLike> = Finished<I, D> | Gone<I, D>

/** The later of two times, either of which may be NaN. */
const later = (a: number, b: number): number => Number.isNaN(a) || b > a ? b : a

/**
 * The requests in flight: what is known of each, which ones to poll next, and when. Plain synchronous code over a
 * `Map` in registration order (oldest first): a poll round costs a few passes over at most the window.
 *
 * Predictions are in server time. A request polled after its predicted finish and found unfinished is checked again
 * after a backoff (`backoff`, one step more each time).
 *
 * @since 1.0.0
 * @category models
 */
export class Window<I, D extends DetailLike = DetailLike> {
  readonly items = new Map<string, Tracked<I, D>>()
  processing = 0
  /** Requests seen pending: evidence that the workers are busy and ours wait in the queue. */
  pending = 0

  constructor(readonly estimates: Estimates, readonly schedule: ScheduleOptions, readonly maxIds: number) {}

  get size(): number {
    return this.items.size
  }

  get notStarted(): number {
    return this.items.size - this.processing
  }

  add(tracked: Tracked<I, D>): boolean {
    if (this.items.has(tracked.id)) return false
    this.items.set(tracked.id, tracked)
    return true
  }

  /** Removes and returns the requests with these ids, which a poll did not find. */
  drop(ids: ReadonlyArray<string>): Array<Gone<I, D>> {
    const gone: Array<Gone<I, D>> = []
    for (const id of ids) {
      const tracked = this.items.get(id)
      if (tracked === undefined) continue
      this.items.delete(id)
      if (tracked.state === PROCESSING) this.processing--
      else if (tracked.state === PENDING) this.pending--
      gone.push(tracked as Gone<I, D>)
    }
    return gone
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
  observe(details: ReadonlyArray<D>, receivedAt: number): Array<Finished<I, D>> {
    const estimates = this.estimates
    const finished: Array<Finished<I, D>> = []
    let samples = 0
    let latest = Number.NaN
    for (let i = 0; i < details.length; i++) {
      const detail = details[i]
      const tracked = this.items.get(detail.id)
      if (tracked === undefined) continue
      if (isTerminal(detail.status)) {
        this.items.delete(detail.id)
        if (tracked.state === PROCESSING) this.processing--
        else if (tracked.state === PENDING) this.pending--
        tracked.detail = detail
        finished.push(tracked as Finished<I, D>)
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
        tracked.recheckAt = receivedAt + estimates.offset + backoff(this.schedule, tracked.misses - 1)
      }
    }
    estimates.observeTimestamp(latest, receivedAt)
    return finished
  }
}
