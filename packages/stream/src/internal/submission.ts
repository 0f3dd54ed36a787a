/**
 * Submission: inputs cut into chunks, each chunk created exactly once (`Reconciliation`: one batch create, or more
 * when one fails ambiguously, adopting what the server accepted) or adopted from a checkpoint, with bounded
 * concurrency at the level of chunks. `create` below is the one place where a chunk is created.
 */
import type {
  CreateBatchOptions,
  PipelineTarget,
  ReadError,
  RequestData,
  Service
} from "@ubiops-effect/core/PipelineRequests"
import type { InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type Checkpoint, CheckpointError, type Intent, type RecordedChunk } from "../Checkpoint.js"
import type { Estimates } from "../PollingRule.js"
import type * as Reconciliation from "../Reconciliation.js"
import { inputChunks } from "./inputChunks.js"
import { type Leftovers, makeFibers, makeReconciler, type Reconciler } from "./reconciler.js"
import type { RetentionEvidence } from "./retentionEvidence.js"

/**
 * A chunk whose requests exist on the server: just created, or recorded by a previous run of the checkpoint.
 */
export interface AcceptedChunk<I> {
  readonly chunk: number
  /** The index of its first input. */
  readonly start: number
  readonly inputs: ReadonlyArray<I>
  readonly ids: ReadonlyArray<string>
  /** When the server created them (`time_created`, ms), when known. */
  readonly created: number | undefined
  /** 1 for each input whose result a previous run emitted. */
  readonly emitted: Uint8Array | undefined
}

/** What does not change during a submission. */
export interface SubmissionConfig<I> {
  readonly service: Service
  readonly target: PipelineTarget
  readonly chunkSize: number
  readonly concurrency: number
  readonly encode: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<RequestData>, InvalidRequest>
  readonly createOptions: CreateBatchOptions | undefined
  readonly reconcile: Reconciliation.Options | undefined
  /** Once interrupted, how long a chunk whose create is in flight may go on. */
  readonly grace: Duration.DurationInput
}

/** What a submission shares with the run around it. */
export interface ChunkPlan {
  readonly checkpoint: Checkpoint | undefined
  /** What the run learns of the server's clock and timings. */
  readonly estimates: Estimates
  /** Taken for each input that will need a result, before its chunk is created. */
  readonly reserve: (count: number) => Effect.Effect<void>
  /** What the run sees of the retention (a run's poller feeds it). */
  readonly evidence?: RetentionEvidence | undefined
}

export type SubmissionError =
  | ReadError
  | InvalidRequest
  | CheckpointError
  | Reconciliation.UncertainCreate
  | Reconciliation.MismatchedCreate

/**
 * The submission of a run: its chunks, and what chunks that did not finish left behind. Its chunk fibers belong to
 * the scope it was made in.
 */
export interface Submission<I> {
  /**
   * The accepted chunks of `inputs`, in input order. `register` runs for each chunk as soon as its requests
   * exist, in the same uninterruptible step as the create and the checkpoint write, so that an interruption
   * never loses the ids of a create that returned.
   */
  readonly chunks: <E, R>(
    inputs: Iterable<I> | Stream.Stream<I, E, R>,
    plan: ChunkPlan,
    register: (accepted: AcceptedChunk<I>) => Effect.Effect<void>
  ) => Stream.Stream<AcceptedChunk<I>, E | SubmissionError, R>
  /** Takes the requests that chunks which did not finish created or adopted (to cancel with the run's). */
  readonly takeLeftovers: Effect.Effect<ReadonlyArray<string>>
  /** Inputs whose create may or may not have been accepted (in chunks that did not finish). */
  readonly unknownCreates: Effect.Effect<number>
  /** Waits until every chunk has ended: those interrupted while creating end within the grace period. */
  readonly settle: Effect.Effect<void>
}

interface PlannedChunk<I> {
  readonly chunk: number
  readonly inputs: ReadonlyArray<I>
  readonly recorded: RecordedChunk | undefined
  /** A previous run was creating it when it stopped, without recording its ids. */
  readonly intent: Intent | undefined
}

const countEmitted = (emitted: Uint8Array | undefined): number => {
  if (emitted === undefined) return 0
  let count = 0
  for (let i = 0; i < emitted.length; i++) count += emitted[i]
  return count
}

export const makeSubmission = <I>(config: SubmissionConfig<I>): Effect.Effect<Submission<I>, never, Scope.Scope> =>
  Effect.map(makeFibers, (fibers) => {
    const leftovers: Array<string> = []
    let unknown = 0
    const onLeftovers = (left: Leftovers) =>
      Effect.sync(() => {
        leftovers.push(...left.ids)
        unknown += left.unknown
      })
    return {
      chunks: (inputs, plan, register) =>
        Stream.unwrap(Effect.map(
          makeReconciler({
            service: config.service,
            target: config.target,
            createOptions: config.createOptions,
            chunkSize: config.chunkSize,
            concurrency: config.concurrency,
            estimates: plan.estimates,
            checkpoint: plan.checkpoint,
            options: config.reconcile,
            grace: config.grace,
            fibers,
            evidence: plan.evidence
          }),
          (reconciler) => acceptedChunks(config, plan, reconciler, onLeftovers, inputs, register)
        )),
      takeLeftovers: Effect.sync(() => leftovers.splice(0)),
      unknownCreates: Effect.sync(() => unknown),
      settle: FiberSet.awaitEmpty(fibers)
    }
  })

const acceptedChunks = <I, E, R>(
  config: SubmissionConfig<I>,
  { checkpoint, reserve }: ChunkPlan,
  reconciler: Reconciler,
  onLeftovers: (left: Leftovers) => Effect.Effect<void>,
  inputs: Iterable<I> | Stream.Stream<I, E, R>,
  register: (accepted: AcceptedChunk<I>) => Effect.Effect<void>
): Stream.Stream<AcceptedChunk<I>, E | SubmissionError, R> => {
  const { chunkSize } = config
  const first = checkpoint?.resumeFrom ?? 0
  const plan = (chunk: number, inputs: ReadonlyArray<I>): Effect.Effect<PlannedChunk<I>, CheckpointError> =>
    checkpoint === undefined || !checkpoint.resuming
      ? Effect.succeed({ chunk, inputs, recorded: undefined, intent: undefined })
      : Effect.flatMap(
        checkpoint.lookup(chunk),
        (recorded) =>
          Option.isSome(recorded) && recorded.value.ids.length !== inputs.length
            ? new CheckpointError({
              key: checkpoint.key,
              reason:
                `chunk ${chunk} was recorded with ${recorded.value.ids.length} requests but has ${inputs.length} ` +
                "inputs now: resume with the same inputs"
            })
            : Effect.succeed({
              chunk,
              inputs,
              recorded: Option.getOrUndefined(recorded),
              intent: Option.isNone(recorded) ? checkpoint.intentOf(chunk) : undefined
            })
      )

  const adopt = (planned: PlannedChunk<I>, recorded: RecordedChunk) => {
    const accepted: AcceptedChunk<I> = {
      chunk: planned.chunk,
      start: planned.chunk * chunkSize,
      inputs: planned.inputs,
      ids: recorded.ids,
      created: undefined,
      emitted: recorded.emitted
    }
    return Effect.as(register(accepted), accepted)
  }

  const create = (planned: PlannedChunk<I>) =>
    Effect.flatMap(config.encode(planned.inputs), (data) =>
      reconciler.create(
        planned.chunk,
        data,
        planned.intent,
        (created) => {
          const accepted: AcceptedChunk<I> = {
            chunk: planned.chunk,
            start: planned.chunk * chunkSize,
            inputs: planned.inputs,
            ids: created.ids,
            created: created.created,
            emitted: undefined
          }
          const record = checkpoint === undefined ? Effect.void : checkpoint.recordAccepted(planned.chunk, created.ids)
          // registered even when the checkpoint write fails, so that the requests are still followed or cancelled
          return Effect.as(Effect.ensuring(record, register(accepted)), accepted)
        },
        onLeftovers
      ))

  return inputChunks(inputs, chunkSize, first * chunkSize).pipe(
    Stream.mapAccum(first, (chunk, inputs) => [chunk + 1, [chunk, inputs] as const]),
    Stream.mapEffect(([chunk, inputs]) =>
      Effect.flatMap(
        plan(chunk, inputs),
        (planned) => Effect.as(reserve(planned.inputs.length - countEmitted(planned.recorded?.emitted)), planned)
      )
    ),
    Stream.mapEffect(
      (planned) => planned.recorded === undefined ? create(planned) : adopt(planned, planned.recorded),
      { concurrency: config.concurrency }
    )
  )
}
