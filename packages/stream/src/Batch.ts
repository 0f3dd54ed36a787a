/**
 * Batch runs over the UbiOps pipeline requests API: inputs submitted in chunks of at most 250, results
 * streamed as they finish, outstanding requests cancelled on interruption, progress observable, and a
 * checkpoint to resume after a crash.
 *
 * ```ts
 * import { Batch } from "@ubiops-effect/stream"
 * import { Effect, Stream } from "effect"
 *
 * const target = { project: "demo", pipeline: "echo" }
 * const inputs = Array.from({ length: 10_000 }, (_, i) => ({ n: i }))
 *
 * // Stream<Batch.Result<{ n: number }>, Batch.RunError, PipelineRequests>
 * const results = Batch.run(target, inputs, { order: "input" })
 * const failed = results.pipe(Stream.filter((result) => result.status !== "completed"), Stream.runCount)
 * ```
 *
 * @since 1.0.0
 */
import type {
  PipelineRequestCreateResponse,
  PipelineRequestDetail,
  PipelineRequestList
} from "@ubiops-effect/core/Models"
import type { Pipeline, PipelineError } from "@ubiops-effect/core/Pipeline"
import {
  type CallOptions,
  type CreateBatchOptions,
  type ListOptions,
  PipelineRequests,
  type PipelineTarget,
  type ReadError,
  type RequestData,
  type StreamEvent,
  type StreamOptions
} from "@ubiops-effect/core/PipelineRequests"
import type { OutputDecodeError, PipelineRequestFailed } from "@ubiops-effect/core/UbiOpsError"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Cancellation from "./Cancellation.js"
import * as Checkpoint from "./Checkpoint.js"
import { Estimates } from "./internal/estimates.js"
import { type Message, pollLoop } from "./internal/poller.js"
import { Tracker } from "./internal/progressTracker.js"
import { type AcceptedChunk, submitChunks } from "./internal/submission.js"
import { type Finished, Window } from "./internal/window.js"
import * as PollSchedule from "./PollSchedule.js"
import type * as Progress from "./Progress.js"
import type * as Reconciliation from "./Reconciliation.js"
import { makeReconciler, type Reconciler } from "./Reconciliation.js"

const maxItems = 250

/**
 * Where inputs come from: an `Iterable` (an array, a generator), an `AsyncIterable`, or a `Stream`. They are
 * pulled lazily, as the run needs them.
 *
 * @since 1.0.0
 * @category models
 */
export type Inputs<I, E = never, R = never> = Iterable<I> | AsyncIterable<I> | Stream.Stream<I, E, R>

/**
 * Reading an `AsyncIterable` of inputs failed.
 *
 * @since 1.0.0
 * @category errors
 */
export class InputError extends Data.TaggedError("InputError")<{ readonly cause: unknown }> {
  override get message() {
    return `reading the inputs failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/**
 * What a run can fail with: an API error that survived the client's retries (after the run's outstanding
 * requests were cancelled), a create whose outcome cannot be known (see `Reconciliation`), a checkpoint error, or
 * an error of the inputs.
 *
 * @since 1.0.0
 * @category errors
 */
export type RunError = ReadError | Reconciliation.UncertainCreate | Checkpoint.CheckpointError | InputError

/**
 * One request created by `submit`.
 *
 * @since 1.0.0
 * @category models
 */
export interface Submitted<I> {
  /** The position of the input, from 0. */
  readonly index: number
  readonly input: I
  readonly requestId: string
}

interface ResultBase<I> {
  /** The position of the input, from 0. */
  readonly index: number
  readonly input: I
  readonly requestId: string
  /** The request as the last poll returned it. */
  readonly detail: PipelineRequestDetail
}

/**
 * @since 1.0.0
 * @category models
 */
export interface Completed<I, O> extends ResultBase<I> {
  readonly status: "completed"
  /** The pipeline's output: the request's `result`, decoded for a typed `Pipeline`. */
  readonly output: O
}

/**
 * A pipeline run that failed (or, for a typed `Pipeline`, an output that does not match the output schema).
 *
 * @since 1.0.0
 * @category models
 */
export interface Failed<I> extends ResultBase<I> {
  readonly status: "failed"
  readonly errorMessage: string | null
  /** For a typed `Pipeline`: the typed error. */
  readonly error?: PipelineRequestFailed | OutputDecodeError
}

/**
 * @since 1.0.0
 * @category models
 */
export interface Cancelled<I> extends ResultBase<I> {
  readonly status: "cancelled"
}

/**
 * The result of one input: every input of a run gets exactly one.
 *
 * @since 1.0.0
 * @category models
 */
export type Result<I, O = unknown> = Completed<I, O> | Failed<I> | Cancelled<I>

/**
 * @since 1.0.0
 * @category models
 */
export interface SubmitOptions {
  /** Inputs per batch create, 1 to 250 (default 250). */
  readonly chunkSize?: number | undefined
  /** Batch creates in flight at once (default 4). */
  readonly concurrency?: number | undefined
  /** The `timeout` and `priority` of the requests, and call overrides for the creates. */
  readonly create?: CreateBatchOptions | undefined
  /** What interrupting does to the requests created and not handed on (default `cancel`). */
  readonly onInterrupt?: "cancel" | "detach" | undefined
  /** How long a create in flight may still take, and then how long cancelling may take, once interrupted
   * (default 5 s each). */
  readonly interruptTimeout?: Duration.DurationInput | undefined
  /** How a create that fails without telling whether the server accepted it is resolved (see `Reconciliation`). */
  readonly reconcile?: Reconciliation.Options | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface PollOptions {
  /** The adaptive poll schedule (see `PollSchedule.defaults`). */
  readonly schedule?: Partial<PollSchedule.Options> | undefined
  /** The most collect calls of one poll round (default 4). */
  readonly pollConcurrency?: number | undefined
  /** The most requests followed at once; more ids are read as results go out (default 2000). */
  readonly window?: number | undefined
  /** Call overrides for the collect calls. */
  readonly collect?: CallOptions | undefined
  /** A poll round whose collect failed after the client's retries (a 5xx, a lost connection, a rate limit) is made
   * again this many times, after 1, 2, 4, 8, 16 s, before the stream fails (default 5; polls only read). */
  readonly pollRetries?: number | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface RunOptions extends SubmitOptions, Omit<PollOptions, "window"> {
  /** The most requests in flight (created, result not yet emitted) at once (default 2000). */
  readonly window?: number | undefined
  /** `completion` (default): results as they finish; `input`: in input order, held back within the window. */
  readonly order?: "completion" | "input" | undefined
  /** Receives the counts of the run while it goes (see `Progress`). */
  readonly progress?: Progress.Progress | undefined
  /** How many inputs there are, for the progress (known by itself for an array). */
  readonly total?: number | undefined
  /** Records the run so that it can be resumed (see `Checkpoint`). */
  readonly checkpoint?: Checkpoint.Options | undefined
  /** Called with the report when the run stopped with requests outstanding. */
  readonly onInterrupted?: ((report: Cancellation.Report) => Effect.Effect<void>) | undefined
}

/**
 * The defaults of the options.
 *
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  chunkSize: maxItems,
  concurrency: 4,
  pollConcurrency: 4,
  pollRetries: 5,
  window: 2000,
  order: "completion",
  onInterrupt: "cancel",
  interruptTimeout: Duration.seconds(5),
  schedule: PollSchedule.defaults
} as const

type Target<I, O> = PipelineTarget | Pipeline<I, O>

const isPipeline = <I, O>(target: Target<I, O>): target is Pipeline<I, O> => "encodeInput" in target

const targetOf = <I, O>(target: Target<I, O>): PipelineTarget => isPipeline(target) ? target.target : target

const positiveInteger = (name: string, value: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`Batch: ${name} must be an integer from 1 to ${max}, got ${value}`)
  }
  return value
}

const nonNegativeInteger = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Batch: ${name} must be an integer from 0, got ${value}`)
  }
  return value
}

/** An `AsyncIterable` as a `Stream`; an `Iterable` is read directly (see `inputChunks`). */
const readable = <I, E, R>(inputs: Inputs<I, E, R>): Iterable<I> | Stream.Stream<I, E | InputError, R> => {
  if (Stream.StreamTypeId in inputs) return inputs as Stream.Stream<I, E, R>
  if (Symbol.asyncIterator in inputs) {
    return Stream.fromAsyncIterable(inputs as AsyncIterable<I>, (cause) => new InputError({ cause }))
  }
  return inputs as Iterable<I>
}

const totalOf = <I, E, R>(inputs: Inputs<I, E, R>): number | undefined =>
  Array.isArray(inputs) ? inputs.length : undefined

const encoder = <I, O>(target: Target<I, O>) =>
  isPipeline(target)
    ? (inputs: ReadonlyArray<I>) => Effect.forEach(inputs, target.encodeInput)
    : (inputs: ReadonlyArray<I>) => Effect.succeed(inputs as unknown as ReadonlyArray<RequestData>)

const untypedResult = <I>(finished: Finished<I>): Result<I, unknown> => {
  const detail = finished.detail
  const { id: requestId, index, input } = finished
  switch (detail.status) {
    case "completed":
      return { status: "completed", index, input, requestId, detail, output: detail.result }
    case "failed":
      return { status: "failed", index, input, requestId, detail, errorMessage: detail.error_message }
    default:
      return { status: "cancelled", index, input, requestId, detail }
  }
}

const typedResults = <I, O>(pipeline: Pipeline<I, O>) => (finished: Array<Finished<I>>) =>
  Effect.forEach(finished, (done): Effect.Effect<Result<I, O>> => {
    const detail = done.detail
    const base = { index: done.index, input: done.input, requestId: done.id, detail }
    if (detail.status === "completed") {
      return Effect.match(pipeline.decodeOutput(detail.result, detail.id), {
        onSuccess: (output): Result<I, O> => ({ ...base, status: "completed", output }),
        onFailure: (error): Result<I, O> => ({ ...base, status: "failed", errorMessage: error.message, error })
      })
    }
    if (detail.status === "failed") {
      return Effect.succeed({
        ...base,
        status: "failed",
        errorMessage: detail.error_message,
        error: pipeline.failure(detail)
      })
    }
    return Effect.succeed({ ...base, status: "cancelled" })
  })

const emptyReport = (mode: "cancel" | "detach", outstanding: number): Cancellation.Report => ({
  mode,
  outstanding,
  cancelled: 0,
  alreadyFinished: 0,
  failedToCancel: 0,
  unverified: 0,
  unknownCreates: 0,
  errors: []
})

/**
 * Cancels the requests known now and, at the same time, waits for the chunks interrupted while creating (`settle`)
 * to end and cancels what they made (`late`): the known ones do not wait for the late ones.
 */
const cancelInTwoPhases = (
  target: PipelineTarget,
  known: ReadonlyArray<string>,
  late: Effect.Effect<ReadonlyArray<string>>,
  settle: Effect.Effect<void>,
  timeout: Duration.DurationInput
): Effect.Effect<Cancellation.Report, never, PipelineRequests> => {
  const cancel = (ids: ReadonlyArray<string>) =>
    ids.length === 0 ? Effect.succeed(emptyReport("cancel", 0)) : Cancellation.cancelRequests(target, ids, { timeout })
  return Effect.map(
    Effect.all([cancel(known), Effect.flatMap(Effect.zipRight(settle, late), cancel)], { concurrency: 2 }),
    ([a, b]): Cancellation.Report => ({
      mode: "cancel",
      outstanding: a.outstanding + b.outstanding,
      cancelled: a.cancelled + b.cancelled,
      alreadyFinished: a.alreadyFinished + b.alreadyFinished,
      failedToCancel: a.failedToCancel + b.failedToCancel,
      unverified: a.unverified + b.unverified,
      unknownCreates: 0,
      errors: [...a.errors, ...b.errors].slice(0, 5)
    })
  )
}

/**
 * Submits inputs in chunks of at most 250 (one batch create each, `concurrency` at once) and emits one
 * `Submitted` per input, in input order. Inputs are pulled as the stream is consumed. Interrupting cancels
 * (or, with `onInterrupt: "detach"`, leaves) the requests that were created but not emitted yet.
 *
 * @since 1.0.0
 * @category constructors
 */
export const submit: {
  <I, O, E = never, R = never>(
    pipeline: Pipeline<I, O>,
    inputs: Inputs<I, E, R>,
    options?: SubmitOptions
  ): Stream.Stream<Submitted<I>, ReadError | Reconciliation.UncertainCreate | InputError | E, PipelineRequests | R>
  <I extends RequestData, E = never, R = never>(
    target: PipelineTarget,
    inputs: Inputs<I, E, R>,
    options?: SubmitOptions
  ): Stream.Stream<Submitted<I>, ReadError | Reconciliation.UncertainCreate | InputError | E, PipelineRequests | R>
} = <I, O, E, R>(target: Target<I, O>, inputs: Inputs<I, E, R>, options?: SubmitOptions) =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const service = yield* PipelineRequests
    const pipelineTarget = targetOf(target)
    const interruptTimeout = options?.interruptTimeout ?? defaults.interruptTimeout
    const notHandedOn = new Map<number, ReadonlyArray<string>>()
    const leftovers: Array<string> = []
    let unknownCreates = 0
    const concurrency = positiveInteger("concurrency", options?.concurrency ?? defaults.concurrency)
    const chunkSize = positiveInteger("chunkSize", options?.chunkSize ?? defaults.chunkSize, maxItems)
    const reconciler = yield* makeReconciler({
      service,
      target: pipelineTarget,
      createOptions: options?.create,
      chunkSize,
      concurrency,
      estimates: new Estimates(),
      checkpoint: undefined,
      options: options?.reconcile,
      grace: interruptTimeout
    })
    yield* Effect.addFinalizer(() => {
      if ((options?.onInterrupt ?? defaults.onInterrupt) === "detach") return Effect.void
      const take = () => {
        const ids = Array.from(notHandedOn.values()).flat().concat(leftovers)
        notHandedOn.clear()
        leftovers.length = 0
        return ids
      }
      return Effect.flatMap(
        Effect.provideService(
          cancelInTwoPhases(pipelineTarget, take(), Effect.sync(take), reconciler.settle, interruptTimeout),
          PipelineRequests,
          service
        ),
        (report) =>
          report.outstanding === 0 && unknownCreates === 0
            ? Effect.void
            : Effect.logInfo("Batch.submit stopped early", { ...report, unknownCreates })
      )
    })
    return submitChunks(
      {
        chunkSize,
        concurrency,
        encode: encoder(target),
        checkpoint: undefined,
        reconciler,
        reserve: () => Effect.void,
        onLeftovers: (left) =>
          Effect.sync(() => {
            leftovers.push(...left.ids)
            unknownCreates += left.unknown
          })
      },
      readable(inputs),
      (accepted) => Effect.sync(() => notHandedOn.set(accepted.chunk, accepted.ids))
    ).pipe(
      Stream.mapConcatChunk((accepted) => {
        notHandedOn.delete(accepted.chunk)
        const submitted = new Array<Submitted<I>>(accepted.ids.length)
        for (let i = 0; i < accepted.ids.length; i++) {
          submitted[i] = { index: accepted.start + i, input: accepted.inputs[i], requestId: accepted.ids[i] }
        }
        return Chunk.unsafeFromArray(submitted)
      })
    )
  }))

/**
 * Follows requests until they finish and emits each one once, when it is terminal (`completed`, `failed` or
 * `cancelled`), in the order they finish. Polls with `collect`, at most 250 ids a call, only ids not yet
 * terminal, on the adaptive `PollSchedule`. Ids are read as the window allows, so a stream of ids of any
 * length runs in bounded memory. Interrupting leaves the requests alone.
 *
 * @since 1.0.0
 * @category constructors
 */
export const poll = <E = never, R = never>(
  target: PipelineTarget,
  requestIds: Iterable<string> | Stream.Stream<string, E, R>,
  options?: PollOptions
): Stream.Stream<PipelineRequestDetail, ReadError | E, PipelineRequests | R> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const service = yield* PipelineRequests
    const windowSize = positiveInteger("window", options?.window ?? defaults.window)
    const permits = yield* Effect.makeSemaphore(windowSize)
    const mailbox = yield* Queue.unbounded<Message<string>>()
    const window = new Window<string>(new Estimates(), PollSchedule.resolve(options?.schedule), maxItems)
    const ids: Stream.Stream<string, E, R> = Stream.StreamTypeId in requestIds
      ? requestIds as Stream.Stream<string, E, R>
      : Stream.fromIterable(requestIds as Iterable<string>)
    const feed = ids.pipe(
      Stream.grouped(Math.min(maxItems, windowSize)),
      Stream.mapAccum(0, (start, group) => [start + group.length, [start, Chunk.toReadonlyArray(group)] as const]),
      Stream.runForEach(([start, group]) =>
        Effect.zipRight(
          permits.take(group.length),
          Queue.offer(
            mailbox,
            {
              chunk: 0,
              start,
              inputs: group,
              ids: group,
              created: Number.NaN,
              sentAt: Number.NaN,
              receivedAt: Number.NaN,
              emitted: undefined
            } satisfies AcceptedChunk<string>
          )
        )
      ),
      Effect.zipRight(Queue.offer(mailbox, "end"))
    )
    const results = pollLoop<string, PipelineRequestDetail, never, never>({
      service,
      target,
      schedule: options?.schedule,
      pollConcurrency: positiveInteger("pollConcurrency", options?.pollConcurrency ?? defaults.pollConcurrency),
      callOptions: options?.collect,
      pollRetries: nonNegativeInteger("pollRetries", options?.pollRetries ?? defaults.pollRetries),
      window,
      chunkSize: maxItems,
      order: "completion",
      firstIndex: 0,
      release: (count) => permits.release(count),
      checkpoint: undefined,
      tracker: new Tracker(undefined, undefined),
      toOutputs: (finished) => Effect.succeed(finished.map((f) => f.detail))
    }, mailbox)
    return Stream.merge(results, Stream.drain(Stream.fromEffect(feed)))
  }))

/**
 * Submits inputs and streams their results as they finish: every input gets exactly one `Result`. A failed
 * pipeline run is a result (`status: "failed"`, with its error message), not a failure of the stream.
 *
 * - At most `window` requests are in flight (created, result not yet emitted), so memory does not depend on the
 *   number of inputs; inputs are pulled as the window allows.
 * - `order: "input"` emits results in input order, holding back at most the window.
 * - Stopping the stream early, however it happens (interruption, `Stream.take`, a timeout, an error), cancels
 *   on the server every request of the run that had not finished (`onInterrupt: "detach"` leaves them), including
 *   those of creates still in flight, before the stream's finalization completes; the report goes to
 *   `progress`, `onInterrupted` and the log.
 * - An API error that survives the client's retries fails the stream, after the outstanding requests were
 *   cancelled.
 * - With a `checkpoint`, a run restarted with the same inputs and key does not submit again what was accepted:
 *   it polls what is outstanding and emits what was not emitted yet.
 *
 * Over a typed `Pipeline`, inputs are encoded with its input schema and outputs decoded with its output schema.
 *
 * @since 1.0.0
 * @category constructors
 */
export const run: {
  <I, O, E = never, R = never>(
    pipeline: Pipeline<I, O>,
    inputs: Inputs<I, E, R>,
    options?: RunOptions
  ): Stream.Stream<Result<I, O>, RunError | E, PipelineRequests | R>
  <I extends RequestData, E = never, R = never>(
    target: PipelineTarget,
    inputs: Inputs<I, E, R>,
    options?: RunOptions
  ): Stream.Stream<Result<I, unknown>, RunError | E, PipelineRequests | R>
} = <I, O, E, R>(
  target: Target<I, O>,
  inputs: Inputs<I, E, R>,
  options?: RunOptions
): Stream.Stream<Result<I, unknown>, RunError | E, PipelineRequests | R> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const service = yield* PipelineRequests
    const pipelineTarget = targetOf(target)
    const chunkSize = positiveInteger("chunkSize", options?.chunkSize ?? defaults.chunkSize, maxItems)
    const windowSize = positiveInteger("window", options?.window ?? defaults.window)
    if (windowSize < chunkSize) {
      throw new RangeError(`Batch: window (${windowSize}) must hold at least one chunk (${chunkSize})`)
    }
    const interruptTimeout = options?.interruptTimeout ?? defaults.interruptTimeout
    const onInterrupt = options?.onInterrupt ?? defaults.onInterrupt
    const progressTotal = options?.progress === undefined
      ? undefined
      : (yield* SubscriptionRef.get(options.progress)).total
    const tracker = new Tracker(options?.progress, options?.total ?? totalOf(inputs) ?? progressTotal)

    const permits = yield* Effect.makeSemaphore(windowSize)
    const mailbox = yield* Queue.unbounded<Message<I>>()
    const window = new Window<I>(new Estimates(), PollSchedule.resolve(options?.schedule), maxItems)
    const concurrency = positiveInteger("concurrency", options?.concurrency ?? defaults.concurrency)
    /** Requests of chunks that did not finish (to cancel with the others). */
    const leftovers: Array<string> = []
    let unknownCreates = 0

    let reconciler: Reconciler | undefined

    // Runs after the submission and the polling stopped, and also when the run could not start, so that its progress
    // always ends. What the run knows is cancelled at once; chunks that were creating when the run was interrupted
    // end meanwhile (within the grace period), and what they made is cancelled as it comes.
    yield* Effect.addFinalizer((exit) =>
      Effect.gen(function*() {
        if (tracker.phase === "completed") return
        tracker.phase = Exit.isFailure(exit) && !Exit.isInterrupted(exit) ? "failed" : "interrupted"
        const take = Effect.map(Queue.takeAll(mailbox), (messages) => {
          const ids = leftovers.splice(0)
          for (const message of messages) if (message !== "end") ids.push(...message.ids)
          return ids
        })
        const settle = reconciler?.settle ?? Effect.void
        const known = window.ids().concat(yield* take)
        let report: Cancellation.Report
        if (onInterrupt === "detach") {
          yield* settle
          const late = yield* take
          report = { ...emptyReport("detach", known.length + late.length), unknownCreates }
        } else {
          const cancelled = yield* Effect.provideService(
            cancelInTwoPhases(pipelineTarget, known, take, settle, interruptTimeout),
            PipelineRequests,
            service
          )
          report = { ...cancelled, unknownCreates }
        }
        if (report.outstanding > 0 || report.unknownCreates > 0) {
          tracker.interruption = report
          yield* Effect.logInfo("Batch.run stopped early", report)
          if (options?.onInterrupted !== undefined) yield* options.onInterrupted(report)
        }
        yield* tracker.publish
      })
    )

    const checkpoint = options?.checkpoint === undefined
      ? undefined
      : yield* Checkpoint.open(options.checkpoint, { target: pipelineTarget, chunkSize, concurrency })
    if (checkpoint?.complete === true) {
      tracker.phase = "completed"
      yield* tracker.publish
      return Stream.empty
    }

    reconciler = yield* makeReconciler({
      service,
      target: pipelineTarget,
      createOptions: options?.create,
      chunkSize,
      concurrency,
      estimates: window.estimates,
      checkpoint,
      options: options?.reconcile,
      grace: interruptTimeout
    })
    const submission = submitChunks(
      {
        chunkSize,
        concurrency,
        encode: encoder(target),
        checkpoint,
        reconciler,
        reserve: (count) => count === 0 ? Effect.void : permits.take(count),
        onLeftovers: (left) =>
          Effect.sync(() => {
            leftovers.push(...left.ids)
            unknownCreates += left.unknown
          })
      },
      readable(inputs),
      (accepted) => Queue.offer(mailbox, accepted)
    ).pipe(
      Stream.runDrain,
      Effect.zipRight(Queue.offer(mailbox, "end"))
    )

    const results = pollLoop({
      service,
      target: pipelineTarget,
      schedule: options?.schedule,
      pollConcurrency: positiveInteger("pollConcurrency", options?.pollConcurrency ?? defaults.pollConcurrency),
      callOptions: options?.collect,
      pollRetries: nonNegativeInteger("pollRetries", options?.pollRetries ?? defaults.pollRetries),
      window,
      chunkSize,
      order: options?.order ?? defaults.order,
      firstIndex: (checkpoint?.resumeFrom ?? 0) * chunkSize,
      release: (count) => permits.release(count),
      checkpoint,
      tracker,
      toOutputs: isPipeline(target)
        ? typedResults(target)
        : (finished) => Effect.succeed(finished.map(untypedResult))
    }, mailbox)

    yield* tracker.publish
    return Stream.merge(results, Stream.drain(Stream.fromEffect(submission)))
  }))

/**
 * The list endpoint as a lazy stream: pages of `pageSize` (default 50, the API's maximum) fetched with
 * `offset`/`limit` as the stream is consumed, until a page comes back short. The list is newest first, so
 * requests created while paging shift the pages: an item may then be seen twice.
 *
 * @since 1.0.0
 * @category constructors
 */
export const listAll = (
  target: PipelineTarget,
  filters?: Omit<ListOptions, "offset" | "limit"> & { readonly pageSize?: number | undefined }
): Stream.Stream<PipelineRequestList, ReadError, PipelineRequests> => {
  const { pageSize = 50, ...rest } = filters ?? {}
  positiveInteger("pageSize", pageSize, 50)
  return Stream.unwrap(
    Effect.map(
      PipelineRequests,
      (service) =>
        Stream.paginateChunkEffect(
          0,
          (offset) =>
            Effect.map(service.list(target, { ...rest, offset, limit: pageSize }), (page) =>
              [
                Chunk.unsafeFromArray(page as Array<PipelineRequestList>),
                page.length < pageSize ? Option.none() : Option.some(offset + page.length)
              ] as const)
        )
    )
  )
}

/**
 * An event of a typed streaming request: partial outputs, then the decoded output.
 *
 * @since 1.0.0
 * @category models
 */
export type TypedStreamEvent<O> =
  | { readonly _tag: "Partial"; readonly data: string }
  | { readonly _tag: "Final"; readonly response: PipelineRequestCreateResponse; readonly output: O }

/**
 * A direct request over the `requests/stream` endpoint: the pipeline's partial outputs as they are produced,
 * then the final response. Over a typed `Pipeline`, the input is encoded and the final output decoded; a failed
 * run fails the stream with `PipelineRequestFailed`.
 *
 * @since 1.0.0
 * @category constructors
 */
export function streamRequest<I, O>(
  pipeline: Pipeline<I, O>,
  input: I,
  options?: StreamOptions
): Stream.Stream<TypedStreamEvent<O>, PipelineError, PipelineRequests>
export function streamRequest(
  target: PipelineTarget,
  data: RequestData,
  options?: StreamOptions
): Stream.Stream<StreamEvent, ReadError, PipelineRequests>
export function streamRequest<I, O>(
  target: Target<I, O>,
  input: I | RequestData,
  options?: StreamOptions
): Stream.Stream<StreamEvent | TypedStreamEvent<O>, PipelineError, PipelineRequests> {
  return Stream.unwrap(Effect.gen(function*() {
    const service = yield* PipelineRequests
    if (!isPipeline(target)) return service.createStreaming(target, input as RequestData, options)
    const data = yield* target.encodeInput(input as I)
    return Stream.mapEffect(
      service.createStreaming(target.target, data, options),
      (event): Effect.Effect<TypedStreamEvent<O>, PipelineError> => {
        if (event._tag === "Partial") return Effect.succeed(event)
        if (event.response.status !== "completed") return Effect.fail(target.failure(event.response))
        return Effect.map(
          target.decodeOutput(event.response.result, event.response.id),
          (output) => ({ _tag: "Final", response: event.response, output })
        )
      }
    )
  }))
}
