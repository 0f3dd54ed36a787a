/**
 * Exactly-once submission: what a run does when a batch create fails without telling whether the server accepted
 * it (the connection dropped, the deadline passed, a 5xx or an unreadable answer), and when it resumes a chunk whose
 * create was under way when the previous run stopped.
 *
 * Creating again blindly would run those inputs twice; giving up would lose them. Instead the run finds out what
 * the server accepted and adopts it:
 *
 * 1. The window. A request the create made was created (server time) between the local times the create was sent
 *    and its failure came back, converted with what the run knows of the clock offset (the bounds learnt from
 *    earlier creates, see `Estimates`), widened by `margin` and rounded out to whole seconds. Before any create
 *    succeeded the offset is unknown and the window is widened by `unknownSkew` on both sides. On resume the end is
 *    unknown (the process died): it is the last attempt plus `horizon`, or now if that is sooner.
 * 2. The listing. The list endpoint is read in the window (`start_date`/`end_date`), in pages of 50, in three
 *    calls that follow the status machine: `pending`, then `processing`, then `completed,failed,cancelled` (pending
 *    and processing cannot be combined with other statuses). A request that changes status between two calls moves to
 *    a group read later. Offset paging can skip an item when items before it leave the group while it is read
 *    (queues are first in, first out, so this takes a group of more than one page whose newer items finish first):
 *    when a non-terminal group took more than one page, the whole listing is read again, until nothing new appears.
 * 3. Leaving out what is ours already. Requests the run knows (created by its other chunks, adopted, or recorded in
 *    the checkpoint) are left out. The others are collected (250 ids a call) for their `request_data`, as soon as
 *    there are as many as inputs to place; the listing stops once every input has a match.
 * 4. Matching. The other chunks of the run go on creating while a chunk lists; the matching itself waits until no
 *    create of the run is in flight (an exclusive gate, which holds new creates back for that moment), so that the
 *    requests of every create of the run that could appear in the listing are known by then, and left out. The rest
 *    are matched against the inputs not yet placed, as canonical JSON (object keys sorted) and as a multiset: two
 *    identical inputs match two requests with that data, one each. If a request the listing stopped on went to
 *    another chunk meanwhile, the chunk lists again.
 * 5. Adopting and creating the rest. Matched inputs take the matched request ids. The inputs left are created again
 *    (the same steps if that fails ambiguously too, up to `maxAttempts` creates). The ids of the chunk are recorded
 *    in the checkpoint as for any create. (A create refused for sure, by a rate limit or a refused connection that
 *    outlasted the client's retries, made nothing: it is made again within the same attempts.)
 *
 * Interrupted, a chunk sends no new create; a create in flight may finish, and if it failed ambiguously the chunk
 * looks only at pending and processing requests (what must be cancelled), without waiting for the other creates.
 *
 * Limits, and what is done about them:
 * - Another client (or another run in this process) that submits the same data to the same pipeline in the same
 *   window can have its request adopted. The input then gets that request's result: a result for the same data,
 *   but that other client follows the same request. Give each input something unique (an id field) to rule it out.
 * - Identical inputs within a run are interchangeable: an input can be given the request created for an identical
 *   input of another chunk that a previous run already emitted. No request is created twice and no input goes without
 *   a result; two results can then carry the same request id.
 * - Retention `none` or `metadata` on the pipeline: `request_data` is null, nothing can be matched. When requests
 *   that might be ours are in the window and cannot be read, adopting is not possible and creating again might run
 *   inputs twice: by default (`onUncertain: "fail"`) the run fails with `UncertainCreate`, naming the inputs and how
 *   many requests could not be read, after cancelling what it knows; the checkpoint keeps the intent, and resuming
 *   with `onUncertain: "resubmit"` creates them again (at least once: never lost, perhaps run twice). When no
 *   unreadable request is in the window, nothing was accepted and creating again is safe.
 * - A create that the server accepts after the client gave up on it and after the listing (a server that takes
 *   longer than the attempt deadline to accept a batch) is not seen: its inputs run twice.
 * - A request deleted (or dropped by retention) before the listing cannot be found: its input is created again,
 *   which is what it needs, as its result is gone.
 *
 * @since 1.0.0
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import {
  type CreateBatchOptions,
  PipelineRequests,
  type PipelineTarget,
  type ReadError,
  type RequestData,
  type Service
} from "@ubiops-effect/core/PipelineRequests"
import type { InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import type { Checkpoint, CheckpointError, Intent } from "./Checkpoint.js"
import type { Estimates } from "./internal/estimates.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface Options {
  /** Added on both sides of the window (default 200 ms), which is then rounded out to whole seconds (a server that
   * reads `start_date`/`end_date` to the second still covers it). */
  readonly margin?: Duration.DurationInput | undefined
  /** How far apart the clocks of client and server may be before the run has measured it (default 5 min). */
  readonly unknownSkew?: Duration.DurationInput | undefined
  /** On resume, how long after it was sent a create of the previous run may have been accepted (default 5 min: the
   * client's call deadline and rate-limit waits). */
  readonly horizon?: Duration.DurationInput | undefined
  /** Creates of one chunk that may fail ambiguously (or with a rate limit or a refused connection that outlasted the
   * client's retries) before the run fails (default 8). */
  readonly maxAttempts?: number | undefined
  /** When requests that might be ours cannot be read (`request_data` null): `fail` (default) or `resubmit`. */
  readonly onUncertain?: "fail" | "resubmit" | undefined
}

/**
 * The defaults of the options.
 *
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  margin: Duration.millis(200),
  unknownSkew: Duration.minutes(5),
  horizon: Duration.minutes(5),
  maxAttempts: 8,
  onUncertain: "fail"
} as const

/**
 * Some inputs of a chunk may or may not have been accepted by the server, and it cannot be told which: requests in
 * the window could not be read (`request_data` null, as with retention `none` or `metadata`).
 *
 * @since 1.0.0
 * @category errors
 */
export class UncertainCreate extends Data.TaggedError("UncertainCreate")<{
  readonly target: PipelineTarget
  /** The positions of the inputs concerned. */
  readonly indices: ReadonlyArray<number>
  /** Requests in the window whose data could not be read. */
  readonly unreadable: number
}> {
  override get message() {
    const first = this.indices.slice(0, 5).join(", ")
    const more = this.indices.length > 5 ? `, ... (${this.indices.length} in all)` : ""
    return `${this.target.project}/${this.target.pipeline}: cannot tell whether inputs ${first}${more} were accepted: ` +
      `${this.unreadable} request(s) created meanwhile have no readable request_data (retention?); nothing was ` +
      `created again (onUncertain: "resubmit" would create them again, perhaps twice)`
  }
}

/**
 * JSON with object keys sorted, after what `JSON.stringify` does (`toJSON`, `undefined` left out): two values
 * that the server stores as the same JSON give the same text.
 *
 * @since 1.0.0
 * @category matching
 */
export const canonicalJson = (value: unknown): string => {
  const plain: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value) ?? "null")
  return write(plain)
}

const write = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(write).join(",")}]`
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key])}`).join(",")}}`
}

/**
 * What the server holds of a set of inputs.
 *
 * @since 1.0.0
 * @category models
 */
export interface Found {
  /** For each input, the id of the request adopted for it, or undefined. */
  readonly ids: ReadonlyArray<string | undefined>
  /** Requests in the window, not excluded, whose data could not be read. */
  readonly unreadable: number
  /** The requests read for their data (those not excluded when they were listed). */
  readonly candidates: ReadonlyArray<PipelineRequestDetail>
  /** Requests listed in the window (excluded ones included). */
  readonly listed: number
  /** List and collect calls made. */
  readonly calls: number
}

/**
 * @since 1.0.0
 * @category models
 */
export interface FindOptions {
  /** The window, in server time: requests created from `from` to `to` (inclusive). */
  readonly from: Date
  readonly to: Date
  /** Requests not to adopt (already taken). */
  readonly exclude?: ((id: string) => boolean) | undefined
  /** While this holds, finished requests are not looked for: only pending and processing ones (what an interrupted
   * run must cancel). */
  readonly unfinishedOnly?: Effect.Effect<boolean> | undefined
}

/** A list or collect call that failed after the client's retries is made again: it only reads, and giving up would
 * leave a chunk's fate unknown. */
const readRetry = Schedule.exponential("500 millis").pipe(
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(10))),
  Schedule.intersect(Schedule.recurs(8)),
  Schedule.whileInput((error: ReadError) => isTransient(error))
)

const pageSize = 50
const maxIds = 250
const maxSweeps = 4
const statusGroups = [["pending"], ["processing"], ["completed", "failed", "cancelled"]] as const

/**
 * Finds, among the requests of `target` created in the window, those whose `request_data` equals an input of `data`
 * (canonical JSON, one request per input), leaving out the excluded ones. Lists with `status`, `start_date`,
 * `end_date` and pages of 50, then collects the candidates for their data. Idempotent: it only reads.
 *
 * @since 1.0.0
 * @category reconciliation
 */
export const findAccepted = (
  target: PipelineTarget,
  data: ReadonlyArray<RequestData>,
  options: FindOptions
): Effect.Effect<Found, ReadError, PipelineRequests> =>
  Effect.flatMap(PipelineRequests, (service) => find(service, target, data, options))

const find = (
  service: Service,
  target: PipelineTarget,
  data: ReadonlyArray<RequestData>,
  options: FindOptions
): Effect.Effect<Found, ReadError> =>
  Effect.gen(function*() {
    let calls = 0
    const matcher = new Matcher(data)
    const seen = new Set<string>()
    let toCollect: Array<string> = []
    const candidates: Array<PipelineRequestDetail> = []
    // the format the official CLI sends, to the second (the window is rounded out to whole seconds)
    const startDate = secondsFormat(options.from)
    const endDate = secondsFormat(options.to)
    const exclude = options.exclude

    const flush = Effect.gen(function*() {
      for (let start = 0; start < toCollect.length; start += maxIds) {
        const read = yield* collectExisting(service, target, toCollect.slice(start, start + maxIds))
        calls += read.calls
        matcher.offer(read.details)
        candidates.push(...read.details)
      }
      toCollect = []
    })

    /** One status group, page by page, collecting candidates as soon as there are as many as inputs to place. */
    const readGroup = (status: ReadonlyArray<"pending" | "processing" | "completed" | "failed" | "cancelled">) =>
      Effect.gen(function*() {
        let offset = 0
        let pages = 0
        let fresh = 0
        const terminal = status.length > 1
        for (;;) {
          if (terminal && options.unfinishedOnly !== undefined && (yield* options.unfinishedOnly)) break
          calls++
          const page = yield* Effect.retry(
            service.list(target, { status, startDate, endDate, limit: pageSize, offset }),
            readRetry
          )
          pages++
          for (const item of page) {
            if (seen.has(item.id)) continue
            seen.add(item.id)
            fresh++
            if (exclude === undefined || !exclude(item.id)) toCollect.push(item.id)
          }
          if (toCollect.length >= Math.min(maxIds, matcher.left)) yield* flush
          if (matcher.left === 0 || page.length < pageSize) break
          offset += page.length
        }
        yield* flush
        return { paged: pages > 1, fresh }
      })

    for (let sweep = 0; sweep < maxSweeps && matcher.left > 0; sweep++) {
      let paged = false
      let fresh = 0
      for (const group of statusGroups) {
        if (matcher.left === 0) break
        const read = yield* readGroup(group)
        paged ||= read.paged && group.length === 1
        fresh += read.fresh
      }
      // one page per non-terminal group cannot skip anything; otherwise read again until nothing new shows up
      if (!paged || (sweep > 0 && fresh === 0)) break
    }
    return { ids: matcher.ids, unreadable: matcher.unreadable, candidates, listed: seen.size, calls }
  })

const pad = (n: number) => String(n).padStart(2, "0")

/** `%Y-%m-%dT%H:%M:%SZ`, as the official CLI sends dates. */
const secondsFormat = (date: Date) =>
  `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${
    pad(date.getUTCMinutes())
  }:${pad(date.getUTCSeconds())}Z`

/** Collects ids, leaving out those that no longer exist (collect fails as a whole when one is missing). */
const collectExisting = (
  service: Service,
  target: PipelineTarget,
  ids: ReadonlyArray<string>
): Effect.Effect<{ readonly details: ReadonlyArray<PipelineRequestDetail>; readonly calls: number }, ReadError> =>
  Effect.retry(service.collect(target, ids), readRetry).pipe(
    Effect.map((details) => ({ details, calls: 1 })),
    Effect.catchTag("NotFound", () => {
      if (ids.length === 1) return Effect.succeed({ details: [], calls: 1 })
      const half = Math.ceil(ids.length / 2)
      return Effect.map(
        Effect.zip(
          collectExisting(service, target, ids.slice(0, half)),
          collectExisting(service, target, ids.slice(half))
        ),
        ([a, b]) => ({ details: [...a.details, ...b.details], calls: 1 + a.calls + b.calls })
      )
    })
  )

type Candidate = Pick<PipelineRequestDetail, "id" | "request_data" | "status" | "time_created">

/** Places inputs on requests with the same data, one each, as requests are offered. */
class Matcher {
  readonly ids: Array<string | undefined>
  /** Inputs not placed yet. */
  left: number
  /** Requests offered whose data could not be read. */
  unreadable = 0
  private readonly waiting = new Map<string, Array<number>>()

  constructor(data: ReadonlyArray<RequestData>) {
    this.ids = new Array<string | undefined>(data.length)
    this.left = data.length
    for (let i = 0; i < data.length; i++) {
      const key = canonicalJson(data[i])
      const same = this.waiting.get(key)
      if (same === undefined) this.waiting.set(key, [i])
      else same.push(i)
    }
  }

  /** Requests not cancelled come first, then the oldest. */
  offer(details: ReadonlyArray<Candidate>): void {
    const ordered = [...details].sort((a, b) =>
      Number(a.status === "cancelled") - Number(b.status === "cancelled") ||
      (a.time_created < b.time_created ? -1 : a.time_created > b.time_created ? 1 : 0)
    )
    for (const detail of ordered) {
      if (detail.request_data === null || detail.request_data === undefined) {
        this.unreadable++
        continue
      }
      const same = this.waiting.get(canonicalJson(detail.request_data))
      if (same === undefined || same.length === 0) continue
      this.ids[same.shift()!] = detail.id
      this.left--
    }
  }
}

/**
 * Matches inputs against requests by canonical JSON, as a multiset: each request is given to at most one input with
 * the same data. Among requests with the same data, those not cancelled come first, then the oldest.
 *
 * @since 1.0.0
 * @category matching
 */
export const match = (
  data: ReadonlyArray<RequestData>,
  details: ReadonlyArray<Candidate>
): { readonly ids: ReadonlyArray<string | undefined>; readonly unreadable: number } => {
  const matcher = new Matcher(data)
  matcher.offer(details)
  return { ids: matcher.ids, unreadable: matcher.unreadable }
}

// -------------------------------------------------------------------------------------------------
// the run's side: claims, the gate, and the creation of one chunk

/** Whether a failed create may have created requests on the server. */
export const mayHaveCreated = (error: ReadError | InvalidRequest): boolean => {
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

/** @internal Whether a failed call may succeed if made again later (a read, or a create that made nothing). */
export const isTransient = (error: ReadError | InvalidRequest): boolean =>
  error._tag === "ServerError" || error._tag === "TransportError" || error._tag === "Timeout" ||
  error._tag === "RateLimited" || error._tag === "DecodeError"

/**
 * The request ids a run holds, kept as long as a reconciliation window can reach back to them: a window starts no
 * earlier than the oldest create still open, less the margins.
 */
class Claims {
  /** Built when a reconciliation asks, dropped when batches go: creates that never fail pay only for the batches. */
  private index: Set<string> | undefined = undefined
  private readonly batches: Array<{ readonly at: number; readonly ids: ReadonlyArray<string> }> = []
  private readonly open = new Map<number, number>()
  private nextOpen = 0

  has(id: string): boolean {
    if (this.index === undefined) {
      this.index = new Set()
      for (const batch of this.batches) for (const id of batch.ids) this.index.add(id)
    }
    return this.index.has(id)
  }

  add(ids: ReadonlyArray<string>, at: number, reach: number): void {
    this.batches.push({ at, ids })
    if (this.index !== undefined) { for (const id of ids) this.index.add(id) }
    let oldest = at
    for (const start of this.open.values()) if (start < oldest) oldest = start
    const horizon = oldest - reach
    let drop = 0
    while (drop < this.batches.length - 1 && this.batches[drop].at < horizon) drop++
    if (drop > 0) {
      this.batches.splice(0, drop)
      this.index = undefined
    }
  }

  /** A chunk starts creating at `at`: claims from then on (less the margins) are kept until it closes. */
  openAt(at: number): number {
    const token = this.nextOpen++
    this.open.set(token, at)
    return token
  }

  close(token: number): void {
    this.open.delete(token)
  }
}

/**
 * Creates of a run share the gate; a reconciliation takes it whole to match what it listed, so that no create of the
 * run is in flight then (each has claimed its requests). A turnstile lets a waiting reconciliation in before newer
 * creates.
 */
class Gate {
  constructor(
    private readonly turnstile: Effect.Semaphore,
    private readonly slots: Effect.Semaphore,
    private readonly size: number
  ) {}

  shared<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.acquireUseRelease(
      this.turnstile.withPermits(1)(this.slots.take(1)),
      () => effect,
      () => this.slots.release(1)
    )
  }

  exclusive<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.acquireUseRelease(
      this.turnstile.withPermits(1)(this.slots.take(this.size)),
      () => effect,
      () => this.slots.release(this.size)
    )
  }
}

/** The requests of one chunk, all created or adopted. */
export interface Created {
  readonly ids: ReadonlyArray<string>
  /** Server time (ms) of the create that made the last of them, NaN when all were adopted. */
  readonly created: number
  readonly sentAt: number
  readonly receivedAt: number
  /** How many were adopted rather than created. */
  readonly adopted: number
}

/**
 * What a chunk left behind when it did not finish: requests it created or adopted (to cancel), and inputs whose
 * create may or may not have been accepted.
 */
export interface Leftovers {
  readonly ids: ReadonlyArray<string>
  readonly unknown: number
}

/** @internal */
export interface ReconcilerConfig {
  readonly service: Service
  readonly target: PipelineTarget
  readonly createOptions: CreateBatchOptions | undefined
  /** Inputs per chunk: chunk `n` starts at input `n * chunkSize`. */
  readonly chunkSize: number
  /** Creates in flight at once (the size of the gate). */
  readonly concurrency: number
  readonly estimates: Estimates
  readonly checkpoint: Checkpoint | undefined
  readonly options: Options | undefined
  /** Once interrupted, how long a chunk may go on to learn what the server holds. */
  readonly grace: Duration.DurationInput
}

/** @internal */
export interface Reconciler {
  /**
   * Creates the requests of a chunk exactly once (see the module documentation), resuming from `intent` when a
   * previous run was creating it. `andThen` runs on the ids when they are all known, in the same uninterruptible
   * step. When the chunk does not finish (a failure, or an interruption: a create in flight is then given up to the
   * grace period, and no new create is sent), `leftover` receives what it left. Interrupted, it returns at once and
   * the chunk ends in the background (see `settle`).
   */
  readonly create: <B, E2>(
    chunk: number,
    data: ReadonlyArray<RequestData>,
    intent: Intent | undefined,
    andThen: (created: Created) => Effect.Effect<B, E2>,
    leftover: (left: Leftovers) => Effect.Effect<void>
  ) => Effect.Effect<B, ReadError | UncertainCreate | CheckpointError | E2>
  /** Waits until the chunks that were creating when they were interrupted have ended (each within the grace period),
   * their `andThen` or `leftover` done. */
  readonly settle: Effect.Effect<void>
}

/** @internal */
export const makeReconciler = (config: ReconcilerConfig): Effect.Effect<Reconciler> =>
  Effect.gen(function*() {
    const { checkpoint, estimates, service, target } = config
    const margin = Duration.toMillis(config.options?.margin ?? defaults.margin)
    const unknownSkew = Duration.toMillis(config.options?.unknownSkew ?? defaults.unknownSkew)
    const horizon = Duration.toMillis(config.options?.horizon ?? defaults.horizon)
    const maxAttempts = config.options?.maxAttempts ?? defaults.maxAttempts
    const onUncertain = config.options?.onUncertain ?? defaults.onUncertain
    const gate = new Gate(
      yield* Effect.makeSemaphore(1),
      yield* Effect.makeSemaphore(config.concurrency),
      config.concurrency
    )
    const claims = new Claims()
    /** Chunks interrupted while creating, finishing within the grace period. */
    const settling = new Set<Fiber.RuntimeFiber<void>>()
    const startedAt = yield* Clock.currentTimeMillis
    if (checkpoint !== undefined && checkpoint.recordedIds.length > 0) {
      claims.add(checkpoint.recordedIds, startedAt, 0)
    }

    const finite = (n: number | null | undefined): n is number => typeof n === "number" && Number.isFinite(n)
    /** How far back (local ms) a window can reach from a create's start. */
    const reach = () => {
      const { high, low } = estimates.bounds
      return margin + 1000 + (finite(low) && finite(high) ? Math.max(0, high - low) : 2 * unknownSkew)
    }
    /** The server-time window of requests created between two local times, rounded out to whole seconds. */
    const windowOf = (from: number, to: number, low: number | null, high: number | null) => ({
      from: new Date(Math.floor((from + (finite(low) ? low : -unknownSkew) - margin) / 1000) * 1000),
      to: new Date(Math.ceil((to + (finite(high) ? high : unknownSkew) + margin) / 1000) * 1000)
    })

    const create: Reconciler["create"] = (chunk, data, intent, andThen, leftover) =>
      Effect.gen(function*() {
        const size = data.length
        const ids = new Array<string | undefined>(size)
        const state = { uncertain: 0, adopted: 0 }
        const stopping = yield* Deferred.make<void>()
        const pendingIndices = () => {
          const left: Array<number> = []
          for (let i = 0; i < size; i++) if (ids[i] === undefined) left.push(i)
          return left
        }
        const known = () => ids.filter((id): id is string => id !== undefined)

        /** Learns what the server holds of the inputs not placed yet, in the window, and adopts it. */
        /**
         * Learns what the server holds of the inputs not placed yet, in the window, and adopts it. The listing runs
         * while other chunks go on creating; the matching waits until no create of the run is in flight, so that
         * every request a create of the run made is claimed by then, and is left out.
         */
        const discover = (
          window: { readonly from: Date; readonly to: Date }
        ): Effect.Effect<void, ReadError | UncertainCreate> =>
          Effect.gen(function*() {
            const left = pendingIndices()
            const interrupted = Deferred.isDone(stopping)
            const found = yield* find(service, target, left.map((i) => data[i]), {
              ...window,
              exclude: (id) => claims.has(id),
              unfinishedOnly: interrupted
            })
            const expected = found.ids.reduce((count, id) => id === undefined ? count : count + 1, 0)
            const place = Effect.gen(function*() {
              const final = match(left.map((i) => data[i]), found.candidates.filter((detail) => !claims.has(detail.id)))
              const adopted: Array<string> = []
              for (let k = 0; k < left.length; k++) {
                const id = final.ids[k]
                if (id !== undefined) {
                  ids[left[k]] = id
                  adopted.push(id)
                }
              }
              claims.add(adopted, yield* Clock.currentTimeMillis, reach())
              state.adopted += adopted.length
              return { adopted: adopted.length, unreadable: final.unreadable }
            })
            // Interrupted, the run only needs what it must cancel: what is pending or processing, found without
            // waiting for the other creates (requests of the run adopted here by mistake are cancelled all the same).
            if (yield* interrupted) {
              yield* place
              state.uncertain = 0
              return
            }
            const placed = yield* gate.exclusive(place)
            yield* Effect.logDebug("Batch: reconciled an ambiguous create", {
              chunk,
              inputs: left.length,
              adopted: placed.adopted,
              listed: found.listed,
              unreadable: placed.unreadable,
              calls: found.calls
            })
            // a request the listing counted on went to another chunk meanwhile (identical inputs): the listing may have
            // stopped before this chunk's own requests, so look again
            if (placed.adopted < expected && expected === left.length) return yield* discover(window)
            if (left.length > placed.adopted && placed.unreadable > 0 && onUncertain === "fail") {
              return yield* new UncertainCreate({
                target,
                indices: pendingIndices().map((i) => chunk * config.chunkSize + i),
                unreadable: placed.unreadable
              })
            }
            // what is still left was not accepted (as far as can be known)
            state.uncertain = 0
          })

        const job = Effect.gen(function*() {
          const token = claims.openAt(intent?.first ?? (yield* Clock.currentTimeMillis))
          return yield* Effect.gen(function*() {
            let first = intent?.first
            if (intent !== undefined) {
              state.uncertain = size
              const now = yield* Clock.currentTimeMillis
              yield* discover(
                windowOf(intent.first, Math.min(now, intent.last + horizon), intent.offsetLow, intent.offsetHigh)
              )
            }
            let attempts = 0
            let created = Number.NaN
            let sentAt = Number.NaN
            let receivedAt = Number.NaN
            for (;;) {
              const left = pendingIndices()
              if (left.length === 0) break
              if (yield* Deferred.isDone(stopping)) return undefined
              if (attempts > 0) {
                const backoff = Duration.millis(Math.min(5_000, 100 * 2 ** (attempts - 1)))
                yield* Effect.raceFirst(Effect.sleep(backoff), Deferred.await(stopping))
              }
              attempts++
              const outcome = yield* gate.shared(Effect.gen(function*() {
                if (yield* Deferred.isDone(stopping)) return undefined
                sentAt = yield* Clock.currentTimeMillis
                first ??= sentAt
                if (checkpoint !== undefined) {
                  const { high, low } = estimates.bounds
                  yield* checkpoint.recordIntent(chunk, {
                    first,
                    last: sentAt,
                    offsetLow: finite(low) ? low : null,
                    offsetHigh: finite(high) ? high : null,
                    concurrency: config.concurrency
                  })
                }
                state.uncertain = left.length
                const result = yield* Effect.either(
                  service.createBatch(
                    target,
                    left.length === size ? data : left.map((i) => data[i]),
                    config.createOptions
                  )
                )
                receivedAt = yield* Clock.currentTimeMillis
                return result
              }))
              if (outcome === undefined) return undefined
              if (outcome._tag === "Right") {
                const responses = outcome.right
                const fresh = new Array<string>(responses.length)
                for (let k = 0; k < responses.length; k++) {
                  fresh[k] = responses[k].id
                  ids[left[k]] = responses[k].id
                }
                created = responses.length === 0 ? Number.NaN : Date.parse(responses[0].time_created)
                estimates.observeCreate(created, sentAt, receivedAt)
                claims.add(fresh, receivedAt, reach())
                state.uncertain = 0
                break
              }
              const error = outcome.left
              if (mayHaveCreated(error)) {
                const { high, low } = estimates.bounds
                yield* discover(windowOf(sentAt, receivedAt, finite(low) ? low : null, finite(high) ? high : null))
              } else {
                // it certainly made nothing: a rate limit or a refused connection the client's retries did not get
                // past is tried again (within `maxAttempts`), anything else fails the chunk
                state.uncertain = 0
                if (!isTransient(error)) return yield* Effect.fail(error)
              }
              if (pendingIndices().length > 0 && attempts >= maxAttempts) return yield* Effect.fail(error)
            }
            return {
              ids: ids as Array<string>,
              created,
              sentAt,
              receivedAt,
              adopted: state.adopted
            } satisfies Created as Created
          }).pipe(Effect.ensuring(Effect.sync(() => claims.close(token))))
        })

        return yield* Effect.uninterruptibleMask((restore) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.forkDaemon(Effect.interruptible(job))
            const awaited = yield* Effect.exit(restore(Fiber.await(fiber)))
            if (Exit.isSuccess(awaited)) {
              const exit = awaited.value
              if (Exit.isSuccess(exit) && exit.value !== undefined) return yield* andThen(exit.value)
              yield* leftover({ ids: known(), unknown: state.uncertain })
              return yield* Exit.isFailure(exit) ? Effect.failCause(exit.cause) : Effect.interrupt
            }
            // interrupted: no new create goes out; what is in flight may finish, and learn what it made, within the
            // grace period. The interruption goes on at once (so that the run can cancel what it knows already);
            // `settle` waits for this chunk to end.
            yield* Deferred.succeed(stopping, undefined)
            const follow = Effect.gen(function*() {
              const timer = yield* Effect.forkDaemon(
                Effect.interruptible(Effect.zipRight(Effect.sleep(config.grace), Fiber.interrupt(fiber)))
              )
              const late = yield* Fiber.await(fiber)
              yield* Fiber.interrupt(timer)
              if (Exit.isSuccess(late) && late.value !== undefined) {
                yield* Effect.exit(andThen(late.value))
              } else {
                yield* leftover({ ids: known(), unknown: state.uncertain })
              }
            })
            const follower = yield* Effect.forkDaemon(follow)
            settling.add(follower)
            follower.addObserver(() => settling.delete(follower))
            return yield* Effect.failCause(awaited.cause)
          })
        )
      })

    const settle: Effect.Effect<void> = Effect.suspend(() =>
      settling.size === 0 ? Effect.void : Effect.zipRight(Fiber.awaitAll([...settling]), settle)
    )

    return { create, settle }
  })
