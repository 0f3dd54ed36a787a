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
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { Pipeline } from "@ubiops-effect/core/Pipeline"
import type {
  CallOptions,
  CreateBatchOptions,
  PipelineRequests,
  PipelineTarget,
  ReadError,
  RequestData
} from "@ubiops-effect/core/PipelineRequests"
import type { OutputDecodeError, PipelineRequestFailed } from "@ubiops-effect/core/UbiOpsError"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Cancellation from "./Cancellation.js"
import type * as Checkpoint from "./Checkpoint.js"
import * as Internal from "./internal/batch.js"
import * as Listing from "./Listing.js"
import type * as PollSchedule from "./PollSchedule.js"
import type * as Progress from "./Progress.js"
import type * as Reconciliation from "./Reconciliation.js"
import * as Streaming from "./Streaming.js"

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
export type RunError =
  | ReadError
  | Reconciliation.UncertainCreate
  | Reconciliation.MismatchedCreate
  | Checkpoint.CheckpointError
  | InputError

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
 * A request the server no longer has when the run polls it: deleted (by someone else, or by the server's
 * `maxFinished`-like limits), or not kept after it finished, as with `request_retention_mode` `none`, under which a
 * batch request is forgotten as soon as it finishes. Whether it ran and what it returned cannot be known; the input
 * was created once and is not created again.
 *
 * @since 1.0.0
 * @category models
 */
export interface Gone<I> {
  readonly status: "gone"
  /** The position of the input, from 0. */
  readonly index: number
  readonly input: I
  readonly requestId: string
}

/**
 * An input whose create failed without telling whether the server accepted it, and that nothing the server shows
 * can confirm (retention `metadata` or `none`: see `Reconciliation`), with `reconcile.onUncertain: "report"`. It may
 * or may not run on the server; it was not created again.
 *
 * @since 1.0.0
 * @category models
 */
export interface Unconfirmed<I> {
  readonly status: "unconfirmed"
  /** The position of the input, from 0. */
  readonly index: number
  readonly input: I
}

/**
 * The result of one input: every input of a run gets exactly one.
 *
 * @since 1.0.0
 * @category models
 */
export type Result<I, O = unknown> = Completed<I, O> | Failed<I> | Cancelled<I> | Gone<I> | Unconfirmed<I>

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
  /** A poll round whose collect failed after the client's retries (a 5xx, a lost connection, a rate limit; not an
   * answer that could not be read) is made again this many times, after about 1, 2, 4, 8, 16 s, before the stream
   * fails (default 5; polls only read). Each of these retries is paid from the client's `RetryBudget`, as the
   * client's own are: once it is spent, the round fails at once. */
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
export const defaults: {
  readonly chunkSize: 250
  readonly concurrency: 4
  readonly pollConcurrency: 4
  readonly pollRetries: 5
  readonly window: 2000
  readonly order: "completion"
  readonly onInterrupt: "cancel"
  readonly interruptTimeout: Duration.Duration
  readonly schedule: PollSchedule.Options
} = Internal.defaults

/** An `AsyncIterable` as a `Stream`; an `Iterable` is read directly. */
const readable = <I, E, R>(inputs: Inputs<I, E, R>): Internal.Readable<I, E, R> => {
  if (Stream.StreamTypeId in inputs) return inputs as Stream.Stream<I, E, R>
  if (Symbol.asyncIterator in inputs) {
    return Stream.fromAsyncIterable(inputs as AsyncIterable<I>, (cause) => new InputError({ cause }))
  }
  return inputs as Iterable<I>
}

/**
 * Submits inputs in chunks of at most 250 (one batch create each, `concurrency` at once) and emits one
 * `Submitted` per input, in input order. Inputs are pulled as the stream is consumed. Interrupting cancels
 * (or, with `onInterrupt: "detach"`, leaves) the requests that were created but not emitted yet. An invalid option
 * fails the stream with `InvalidRequest`, before anything is sent.
 *
 * @since 1.0.0
 * @category constructors
 */
export const submit: {
  <I, O, E = never, R = never>(
    pipeline: Pipeline<I, O>,
    inputs: Inputs<I, E, R>,
    options?: SubmitOptions
  ): Stream.Stream<
    Submitted<I>,
    ReadError | Reconciliation.UncertainCreate | Reconciliation.MismatchedCreate | InputError | E,
    PipelineRequests | R
  >
  <I extends RequestData, E = never, R = never>(
    target: PipelineTarget,
    inputs: Inputs<I, E, R>,
    options?: SubmitOptions
  ): Stream.Stream<
    Submitted<I>,
    ReadError | Reconciliation.UncertainCreate | Reconciliation.MismatchedCreate | InputError | E,
    PipelineRequests | R
  >
} = <I, O, E, R>(target: PipelineTarget | Pipeline<I, O>, inputs: Inputs<I, E, R>, options?: SubmitOptions) =>
  Internal.submit(target, readable(inputs), options)

/**
 * Follows requests until they finish and emits each one once, when it is terminal (`completed`, `failed` or
 * `cancelled`), in the order they finish. Polls with `collect`, at most 250 ids a call, only ids not yet
 * terminal, on the adaptive `PollSchedule`. Ids are read as the window allows, so a stream of ids of any
 * length runs in bounded memory. Interrupting leaves the requests alone. A request the server does not have (deleted,
 * or forgotten under retention `none`) fails the stream with `NotFound` (`run` reports it as a `Gone` result). An
 * invalid option fails the stream with `InvalidRequest`, before anything is sent.
 *
 * @since 1.0.0
 * @category constructors
 */
export const poll = <E = never, R = never>(
  target: PipelineTarget,
  requestIds: Iterable<string> | Stream.Stream<string, E, R>,
  options?: PollOptions
): Stream.Stream<PipelineRequestDetail, ReadError | E, PipelineRequests | R> =>
  Internal.poll(target, requestIds, options)

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
 * An invalid option fails the stream with `InvalidRequest`, before anything is sent.
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
  target: PipelineTarget | Pipeline<I, O>,
  inputs: Inputs<I, E, R>,
  options?: RunOptions
): Stream.Stream<Result<I, unknown>, RunError | E, PipelineRequests | R> =>
  Internal.run(target, readable(inputs), Array.isArray(inputs) ? inputs.length : undefined, options)

/**
 * The list endpoint as a lazy stream (see `Listing.listAll`).
 *
 * @since 1.0.0
 * @category constructors
 */
export const listAll: typeof Listing.listAll = Listing.listAll

/**
 * An event of a typed streaming request (see `Streaming.TypedStreamEvent`).
 *
 * @since 1.0.0
 * @category models
 */
export type TypedStreamEvent<O> = Streaming.TypedStreamEvent<O>

/**
 * A direct request over the `requests/stream` endpoint (see `Streaming.streamRequest`).
 *
 * @since 1.0.0
 * @category constructors
 */
export const streamRequest: typeof Streaming.streamRequest = Streaming.streamRequest
