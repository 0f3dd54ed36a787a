/**
 * The creation of the chunks of a run, exactly once (see `Reconciliation` for the steps and the limits).
 *
 * Each chunk is created in a fiber of the run's `FiberSet`, so that the run's scope owns it: when the chunk's
 * caller is interrupted, the fiber goes on for at most the grace period (no new create goes out; one in flight
 * may finish and tell what it made), hands on what it made or left, and ends; closing the run's scope ends it in
 * any case.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type {
  CreateBatchOptions,
  PipelineTarget,
  ReadError,
  RequestData,
  Service
} from "@ubiops-effect/core/PipelineRequests"
import * as RetryPolicy from "@ubiops-effect/core/RetryPolicy"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import type { Checkpoint, CheckpointError, Intent } from "../Checkpoint.js"
import type { Estimates } from "../PollingRule.js"
import { defaults, MismatchedCreate, type Options, UncertainCreate } from "../Reconciliation.js"
import { find } from "./findAccepted.js"
import { match, replyMismatch } from "./matching.js"
import type { RetentionEvidence } from "./retentionEvidence.js"
import { createBackoff, mayCreateAgain } from "./retries.js"

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
 * The creates of a run in flight. A reconciliation that has listed waits for those in flight at that moment to
 * end (each has then claimed its requests): a create sent after the listing cannot have made a request in it, so
 * new creates need not be held back.
 */
class CreatesInFlight {
  private readonly open = new Set<Deferred.Deferred<void>>()

  track<A, E, R>(create: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.acquireUseRelease(
      Effect.tap(Deferred.make<void>(), (done) => Effect.sync(() => this.open.add(done))),
      () => create,
      (done) => Effect.zipRight(Effect.sync(() => this.open.delete(done)), Deferred.succeed(done, undefined))
    )
  }

  /** Waits until the creates in flight now have ended. */
  readonly ended: Effect.Effect<void> = Effect.suspend(() =>
    Effect.forEach(Array.from(this.open), Deferred.await, { discard: true })
  )
}

/** The requests of one chunk, all created or adopted. */
export interface Created {
  readonly ids: ReadonlyArray<string>
  /** Server time (ms) of the create that made the last of them, `undefined` when all were adopted. */
  readonly created: number | undefined
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

export interface ReconcilerConfig {
  readonly service: Service
  readonly target: PipelineTarget
  readonly createOptions: CreateBatchOptions | undefined
  /** Inputs per chunk: chunk `n` starts at input `n * chunkSize`. */
  readonly chunkSize: number
  /** Creates in flight at once (recorded in the intents). */
  readonly concurrency: number
  readonly estimates: Estimates
  readonly checkpoint: Checkpoint | undefined
  readonly options: Options | undefined
  /** Once interrupted, how long a chunk may go on to learn what the server holds. */
  readonly grace: Duration.DurationInput
  /** The run's fibers of chunks: its scope ends them. */
  readonly fibers: FiberSet.FiberSet
  /** What the run saw of the retention, when it was not declared. */
  readonly evidence?: RetentionEvidence | undefined
}

export interface Reconciler {
  /**
   * Creates the requests of a chunk exactly once, resuming from `intent` when a previous run was creating it.
   * `andThen` runs on the ids when they are all known, in the same uninterruptible step. When the chunk does not
   * finish (a failure, or an interruption: a create in flight is then given up to the grace period, and no new
   * create is sent), `leftover` receives what it left. Interrupted, it returns at once and the chunk ends in its
   * fiber, which belongs to `fibers`.
   */
  readonly create: <B, E2>(
    chunk: number,
    data: ReadonlyArray<RequestData>,
    intent: Intent | undefined,
    andThen: (created: Created) => Effect.Effect<B, E2>,
    leftover: (left: Leftovers) => Effect.Effect<void>
  ) => Effect.Effect<B, ReadError | UncertainCreate | MismatchedCreate | CheckpointError | E2>
}

/**
 * The id given to an input whose create cannot be confirmed (`onUncertain: "report"`): no request has it, so it is
 * never polled or cancelled; the run reports the input as `Unconfirmed` (also on resume: it is recorded as such).
 */
export const unconfirmedId = ""

/** The fibers of chunks of one run, to give to `makeReconciler`; the scope ends those still running. */
export const makeFibers: Effect.Effect<FiberSet.FiberSet, never, Scope.Scope> = FiberSet.make()

export const makeReconciler = (config: ReconcilerConfig): Effect.Effect<Reconciler> =>
  Effect.gen(function*() {
    const { checkpoint, estimates, service, target } = config
    const margin = Duration.toMillis(config.options?.margin ?? defaults.margin)
    const unknownSkew = Duration.toMillis(config.options?.unknownSkew ?? defaults.unknownSkew)
    const horizon = Duration.toMillis(config.options?.horizon ?? defaults.horizon)
    const maxAttempts = config.options?.maxAttempts ?? defaults.maxAttempts
    const onUncertain = config.options?.onUncertain ?? defaults.onUncertain
    const declared = config.options?.retention
    const retention = () => declared ?? (config.evidence?.dataNotKept === true ? "none" : defaults.retention)
    const inFlight = new CreatesInFlight()
    const claims = new Claims()
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

    /** The work of one chunk: its creates and reconciliations, `undefined` when it stopped before it knew all ids. */
    const createChunk = (
      chunk: number,
      data: ReadonlyArray<RequestData>,
      intent: Intent | undefined,
      ids: Array<string | undefined>,
      state: { uncertain: number; adopted: number },
      stopping: Deferred.Deferred<void>
    ): Effect.Effect<Created | undefined, ReadError | UncertainCreate | MismatchedCreate | CheckpointError> => {
      const size = data.length
      const pendingIndices = () => {
        const left: Array<number> = []
        for (let i = 0; i < size; i++) if (ids[i] === undefined) left.push(i)
        return left
      }

      /**
       * Learns what the server holds of the inputs not placed yet, in the window, and adopts it. The listing runs
       * while other chunks go on creating; the matching waits for the creates in flight once the listing is done,
       * so that every request a create of the run made is claimed by then, and is left out.
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
          // Interrupted, the run only needs what it must cancel: what is pending or processing, found without
          // waiting for the other creates (requests of the run adopted here by mistake are cancelled all the same).
          const stopped = yield* interrupted
          if (!stopped) yield* inFlight.ended
          const now = yield* Clock.currentTimeMillis
          // from here to the claim, synchronous: no other chunk claims meanwhile
          const final = match(
            left.map((i) => data[i]),
            found.candidates.filter((detail: PipelineRequestDetail) => !claims.has(detail.id))
          )
          const adopted: Array<string> = []
          for (let k = 0; k < left.length; k++) {
            const id = final.ids[k]
            if (id !== undefined) {
              ids[left[k]] = id
              adopted.push(id)
            }
          }
          claims.add(adopted, now, reach())
          state.adopted += adopted.length
          if (stopped) {
            state.uncertain = 0
            return
          }
          yield* Effect.logDebug("Batch: reconciled an ambiguous create", {
            chunk,
            inputs: left.length,
            adopted: adopted.length,
            listed: found.listed,
            unreadable: final.unreadable,
            calls: found.calls
          })
          // a request the listing counted on went to another chunk meanwhile (identical inputs): the listing may have
          // stopped before this chunk's own requests, so look again
          if (adopted.length < expected && expected === left.length) return yield* discover(window)
          // under retention none a request that was accepted and finished is not listed: finding nothing proves nothing
          const unprovable = final.unreadable > 0 || retention() === "none"
          if (left.length > adopted.length && unprovable && onUncertain === "report") {
            for (const i of pendingIndices()) ids[i] = unconfirmedId
            state.uncertain = 0
            return
          }
          if (left.length > adopted.length && unprovable && onUncertain === "fail") {
            return yield* new UncertainCreate({
              target,
              indices: pendingIndices().map((i) => chunk * config.chunkSize + i),
              unreadable: final.unreadable,
              retention: retention()
            })
          }
          // what is still left was not accepted (as far as can be known)
          state.uncertain = 0
        })

      /** One create of the inputs left; claims what it made before it counts as ended. */
      const createOnce = (left: ReadonlyArray<number>, first: number | undefined) =>
        inFlight.track(Effect.gen(function*() {
          const sentAt = yield* Clock.currentTimeMillis
          const firstSent = first ?? sentAt
          if (checkpoint !== undefined) {
            const { high, low } = estimates.bounds
            yield* checkpoint.recordIntent(chunk, {
              first: firstSent,
              last: sentAt,
              offsetLow: finite(low) ? low : null,
              offsetHigh: finite(high) ? high : null,
              concurrency: config.concurrency
            })
          }
          state.uncertain = left.length
          const sent = left.length === size ? data : left.map((i) => data[i])
          const result = yield* Effect.either(service.createBatch(target, sent, config.createOptions))
          const receivedAt = yield* Clock.currentTimeMillis
          if (result._tag === "Right") {
            const responses = result.right
            const fresh = new Array<string>(responses.length)
            for (let k = 0; k < responses.length; k++) {
              fresh[k] = responses[k].id
              ids[left[k]] = responses[k].id
            }
            claims.add(fresh, receivedAt, reach())
            state.uncertain = 0
            // the ids are kept above all the same: the chunk's requests exist, and are cancelled with the run
            const mismatch = replyMismatch(sent, responses)
            if (mismatch !== undefined) {
              return yield* new MismatchedCreate({
                target,
                position: left[mismatch.position],
                requestId: mismatch.requestId
              })
            }
          }
          return { result, sentAt, receivedAt, first: firstSent }
        }))

      return Effect.gen(function*() {
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
          let created: number | undefined = undefined
          let sentAt = Number.NaN
          let receivedAt = Number.NaN
          for (;;) {
            const left = pendingIndices()
            if (left.length === 0) break
            if (yield* Deferred.isDone(stopping)) return undefined
            if (attempts > 0) yield* Effect.raceFirst(Effect.sleep(createBackoff(attempts)), Deferred.await(stopping))
            if (yield* Deferred.isDone(stopping)) return undefined
            attempts++
            const outcome = yield* createOnce(left, first)
            first = outcome.first
            sentAt = outcome.sentAt
            receivedAt = outcome.receivedAt
            if (outcome.result._tag === "Right") {
              const responses = outcome.result.right
              const serverCreated = responses.length === 0 ? Number.NaN : Date.parse(responses[0].time_created)
              created = Number.isNaN(serverCreated) ? undefined : serverCreated
              estimates.observeCreate(serverCreated, sentAt, receivedAt)
              break
            }
            const error = outcome.result.left
            if (RetryPolicy.mayHaveReachedServer(error)) {
              const { high, low } = estimates.bounds
              yield* discover(windowOf(sentAt, receivedAt, finite(low) ? low : null, finite(high) ? high : null))
            } else {
              // it certainly made nothing: made again within `maxAttempts` when that is worth it, else the chunk fails
              state.uncertain = 0
              if (!(yield* mayCreateAgain(service, error))) return yield* Effect.fail(error)
            }
            if (pendingIndices().length > 0 && attempts >= maxAttempts) return yield* Effect.fail(error)
          }
          return { ids: ids as Array<string>, created, sentAt, receivedAt, adopted: state.adopted } satisfies Created
        }).pipe(Effect.ensuring(Effect.sync(() => claims.close(token))))
      })
    }

    const create: Reconciler["create"] = (chunk, data, intent, andThen, leftover) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const ids = new Array<string | undefined>(data.length)
          const state = { uncertain: 0, adopted: 0 }
          const stopping = yield* Deferred.make<void>()
          const known = () => ids.filter((id): id is string => id !== undefined && id !== unconfirmedId)
          // Once the caller stopped waiting, the work goes on for at most the grace period.
          const graceOver = Effect.zipRight(Deferred.await(stopping), Effect.sleep(config.grace))
          const work = Effect.gen(function*() {
            const exit = yield* Effect.interruptible(
              Effect.raceFirst(
                Effect.exit(createChunk(chunk, data, intent, ids, state, stopping)),
                Effect.as(graceOver, Exit.interrupt(FiberId.none))
              )
            ).pipe(Effect.exit, Effect.map(Exit.flatten))
            if (Exit.isSuccess(exit) && exit.value !== undefined) return yield* andThen(exit.value)
            yield* leftover({ ids: known(), unknown: state.uncertain })
            return yield* Exit.isFailure(exit) ? Effect.failCause(exit.cause) : Effect.interrupt
          })
          // uninterruptible but for the creating: what was made is always handed on, also when the scope closes
          const fiber = yield* FiberSet.run(config.fibers, Effect.uninterruptible(work))
          return yield* restore(Fiber.join(fiber)).pipe(
            Effect.onInterrupt(() => Deferred.succeed(stopping, undefined))
          )
        })
      )

    return { create }
  })
