/**
 * Submission: inputs cut into chunks, each chunk created exactly once (`Reconciliation`: one batch create, or more
 * when one fails ambiguously, adopting what the server accepted) or adopted from a checkpoint, with bounded
 * concurrency at the level of chunks. `create` below is the one place where a chunk is created.
 */
import type { ReadError, RequestData } from "@ubiops-effect/core/PipelineRequests"
import type { InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type Checkpoint, CheckpointError, type Intent, type RecordedChunk } from "../Checkpoint.js"
import type * as Reconciliation from "../Reconciliation.js"
import { inputChunks } from "./inputChunks.js"

/**
 * A chunk whose requests exist on the server: just created, or recorded by a previous run of the checkpoint.
 */
export interface AcceptedChunk<I> {
  readonly chunk: number
  /** The index of its first input. */
  readonly start: number
  readonly inputs: ReadonlyArray<I>
  readonly ids: ReadonlyArray<string>
  /** When the server created them (`time_created`, ms), NaN when unknown. */
  readonly created: number
  /** Local times around the create (NaN for an adopted chunk). */
  readonly sentAt: number
  readonly receivedAt: number
  /** 1 for each input whose result a previous run emitted. */
  readonly emitted: Uint8Array | undefined
}

export interface SubmissionConfig<I> {
  readonly chunkSize: number
  readonly concurrency: number
  readonly encode: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<RequestData>, InvalidRequest>
  readonly checkpoint: Checkpoint | undefined
  /** Creates each chunk exactly once (and waits for those interrupted while creating, see `settle`). */
  readonly reconciler: Reconciliation.Reconciler
  /** Taken for each input that will need a result, before its chunk is created. */
  readonly reserve: (count: number) => Effect.Effect<void>
  /** What a chunk that did not finish left: requests to cancel with the run's, and inputs whose create may or may
   * not have been accepted. */
  readonly onLeftovers: (left: Reconciliation.Leftovers) => Effect.Effect<void>
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

/**
 * The accepted chunks of `inputs`, in input order. `register` runs for each chunk as soon as its requests
 * exist, in the same uninterruptible step as the create and the checkpoint write, so that an interruption
 * never loses the ids of a create that returned.
 */
export const submitChunks = <I, E, R>(
  config: SubmissionConfig<I>,
  inputs: Iterable<I> | Stream.Stream<I, E, R>,
  register: (accepted: AcceptedChunk<I>) => Effect.Effect<void>
): Stream.Stream<
  AcceptedChunk<I>,
  E | ReadError | InvalidRequest | CheckpointError | Reconciliation.UncertainCreate,
  R
> => {
  const { checkpoint, chunkSize } = config
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
      created: Number.NaN,
      sentAt: Number.NaN,
      receivedAt: Number.NaN,
      emitted: recorded.emitted
    }
    return Effect.as(register(accepted), accepted)
  }

  const create = (reconciler: Reconciliation.Reconciler, planned: PlannedChunk<I>) =>
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
            sentAt: created.sentAt,
            receivedAt: created.receivedAt,
            emitted: undefined
          }
          const record = checkpoint === undefined ? Effect.void : checkpoint.recordAccepted(planned.chunk, created.ids)
          // registered even when the checkpoint write fails, so that the requests are still followed or cancelled
          return Effect.as(Effect.ensuring(record, register(accepted)), accepted)
        },
        config.onLeftovers
      ))

  const reconciler = config.reconciler
  return inputChunks(inputs, chunkSize, first * chunkSize).pipe(
    Stream.mapAccum(first, (chunk, inputs) => [chunk + 1, [chunk, inputs] as const]),
    Stream.mapEffect(([chunk, inputs]) =>
      Effect.flatMap(
        plan(chunk, inputs),
        (planned) => Effect.as(config.reserve(planned.inputs.length - countEmitted(planned.recorded?.emitted)), planned)
      )
    ),
    Stream.mapEffect(
      (planned) => planned.recorded === undefined ? create(reconciler, planned) : adopt(planned, planned.recorded),
      { concurrency: config.concurrency }
    )
  )
}
