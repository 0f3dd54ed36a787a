/**
 * The polling rule of `Batch.run`, reimplemented in plain TypeScript for the reference client.
 *
 * It is the same rule as `packages/stream/src/PollSchedule.ts`, `internal/estimates.ts` and
 * `internal/window.ts` (poll only the oldest ids that are not terminal, at most 250 per collect and at most
 * `pollConcurrency` collects per round; wait until the next predicted finish, predicted from the server's
 * `time_started`/`time_completed` and a FIFO model of the queue, coalescing finishes within 1 s, plus a margin;
 * without a prediction, back off from 200 ms doubling to 5 s, reset by a poll that found something).
 *
 * Why a copy rather than an import: the stream package's modules import `effect` (PollSchedule builds an Effect
 * `Schedule`, window.ts imports `@ubiops-effect/core/Models`, which loads `effect/Schema`), and the reference
 * must not load Effect at all: its CPU and memory are the baseline. `bench/test/rule.test.ts` feeds the same
 * observations to this copy and to the stream package's `Window` and checks that they choose the same ids and
 * the same waits, so the two cannot drift apart silently.
 */

export interface ScheduleOptions {
  readonly initialDelay: number
  readonly factor: number
  readonly maxDelay: number
  readonly margin: number
  readonly coalesce: number
}

/** `PollSchedule.defaults`, in milliseconds. */
export const defaultSchedule: ScheduleOptions = {
  initialDelay: 200,
  factor: 2,
  maxDelay: 5000,
  margin: 100,
  coalesce: 1000
}

export interface Outcome {
  readonly polled: number
  readonly finished: number
  readonly predictedMillis: number | undefined
}

export const backoff = (options: ScheduleOptions, step: number): number =>
  Math.min(options.maxDelay, options.initialDelay * Math.pow(options.factor, step))

/** The adaptive schedule: fed each round's outcome, it says how long to wait before the next poll. */
export class Schedule {
  private emptyStreak = 0
  constructor(readonly options: ScheduleOptions) {}

  next(outcome: Outcome): number {
    if (outcome.polled > 0) this.emptyStreak = outcome.finished > 0 ? 0 : this.emptyStreak + 1
    return outcome.predictedMillis === undefined
      ? backoff(this.options, this.emptyStreak)
      : Math.min(this.options.maxDelay, Math.max(0, outcome.predictedMillis))
  }
}

const smoothing = 0.2

const parseMillis = (timestamp: string | null | undefined): number =>
  timestamp === null || timestamp === undefined ? Number.NaN : Date.parse(timestamp)

const smooth = (current: number, sample: number): number =>
  Number.isNaN(current) ? sample : current + smoothing * (sample - current)

/** What the server's timestamps teach: typical run time, typical turnaround, and the clock offset. */
export class Estimates {
  duration = Number.NaN
  turnaround = Number.NaN
  private offsetLow = Number.NEGATIVE_INFINITY
  private offsetHigh = Number.POSITIVE_INFINITY

  get known(): boolean {
    return !Number.isNaN(this.duration) || !Number.isNaN(this.turnaround)
  }

  /** The lower bound: a poll is never early for want of knowing the clock. */
  get offset(): number {
    if (this.offsetLow > Number.NEGATIVE_INFINITY) return this.offsetLow
    if (this.offsetHigh < Number.POSITIVE_INFINITY) return this.offsetHigh
    return 0
  }

  observeCreate(serverCreated: number, sentAt: number, receivedAt: number): void {
    if (Number.isNaN(serverCreated)) return
    const low = serverCreated - receivedAt
    const high = serverCreated - sentAt
    if (low > this.offsetHigh || high < this.offsetLow) {
      this.offsetLow = low
      this.offsetHigh = high
      return
    }
    if (low > this.offsetLow) this.offsetLow = low
    if (high < this.offsetHigh) this.offsetHigh = high
  }

  observeTimestamp(serverMillis: number, receivedAt: number): void {
    if (Number.isNaN(serverMillis)) return
    const low = serverMillis - receivedAt
    if (low > this.offsetHigh) this.offsetHigh = Number.POSITIVE_INFINITY
    if (low > this.offsetLow) this.offsetLow = low
  }

  observeFinished(created: number, started: number, completed: number): void {
    if (Number.isNaN(completed)) return
    if (!Number.isNaN(started) && completed >= started) this.duration = smooth(this.duration, completed - started)
    if (!Number.isNaN(created) && completed >= created) this.turnaround = smooth(this.turnaround, completed - created)
  }
}

/** The fields of a request detail the rule reads. */
export interface DetailLike {
  readonly id: string
  readonly status: string
  readonly time_created?: string | null | undefined
  readonly time_started?: string | null | undefined
  readonly time_completed?: string | null | undefined
}

const NOT_STARTED = 0
const PROCESSING = 1
const samplesPerPoll = 16

export const isTerminal = (status: string): boolean =>
  status === "completed" || status === "failed" || status === "cancelled"

export class Tracked<I, D extends DetailLike> {
  state = NOT_STARTED
  started = Number.NaN
  misses = 0
  recheckAt = Number.NEGATIVE_INFINITY
  predicted = Number.NaN
  due = false
  detail: D | undefined = undefined
  constructor(
    readonly id: string,
    readonly index: number,
    readonly input: I,
    public created: number
  ) {}
}

/** The requests in flight, oldest first, and the choice of which to poll and when. */
export class Window<I, D extends DetailLike> {
  readonly items = new Map<string, Tracked<I, D>>()
  processing = 0

  constructor(readonly estimates: Estimates, readonly schedule: ScheduleOptions, readonly maxIds: number) {}

  get size(): number {
    return this.items.size
  }

  add(tracked: Tracked<I, D>): boolean {
    if (this.items.has(tracked.id)) return false
    this.items.set(tracked.id, tracked)
    return true
  }

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
    const workers = finishes.length
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

  /** The ids to poll now, in calls of at most `maxIds`: the due ones, the last call filled with the oldest. */
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

  /** Milliseconds until the next poll is worth making, `undefined` while nothing can be predicted. */
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

  /** Takes in a poll's details: removes and returns the finished requests, updates the others. */
  observe(details: ReadonlyArray<D>, receivedAt: number): Array<Tracked<I, D>> {
    const estimates = this.estimates
    const finished: Array<Tracked<I, D>> = []
    let samples = 0
    let latest = Number.NaN
    for (let i = 0; i < details.length; i++) {
      const detail = details[i]
      const tracked = this.items.get(detail.id)
      if (tracked === undefined) continue
      if (isTerminal(detail.status)) {
        this.items.delete(detail.id)
        if (tracked.state === PROCESSING) this.processing--
        tracked.detail = detail
        finished.push(tracked)
        if (samples < samplesPerPoll) {
          samples++
          const completed = parseMillis(detail.time_completed)
          estimates.observeFinished(parseMillis(detail.time_created), parseMillis(detail.time_started), completed)
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
        tracked.recheckAt = receivedAt + estimates.offset + backoff(this.schedule, tracked.misses - 1)
      }
    }
    estimates.observeTimestamp(latest, receivedAt)
    return finished
  }
}
