/**
 * Submission: inputs cut into chunks, each chunk created with one batch create (or adopted from a checkpoint),
 * with bounded concurrency at the level of chunks.
 */
import type {
  CreateBatchOptions,
  PipelineTarget,
  ReadError,
  RequestData,
  Service
} from "@ubiops-effect/core/PipelineRequests"
import type { InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type Checkpoint, CheckpointError, type RecordedChunk } from "../Checkpoint.js"
import { finishOnInterrupt } from "./interruption.js"

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

/**
 * Creates the requests of one chunk: the one place where inputs are submitted.
 *
 * A create that fails in a way that leaves it unknown whether the server accepted it (`mayHaveCreated`) fails
 * the run for now; reconciling such a chunk (finding what the server accepted, adopting it instead of creating
 * again) belongs here.
 */
export const createChunk = (
  service: Service,
  target: PipelineTarget,
  data: ReadonlyArray<RequestData>,
  options: CreateBatchOptions | undefined
): Effect.Effect<
  {
    readonly ids: ReadonlyArray<string>
    readonly created: number
    readonly sentAt: number
    readonly receivedAt: number
  },
  ReadError
> =>
  Effect.gen(function*() {
    const sentAt = yield* Clock.currentTimeMillis
    const responses = yield* service.createBatch(target, data, options)
    const receivedAt = yield* Clock.currentTimeMillis
    const ids = new Array<string>(responses.length)
    for (let i = 0; i < responses.length; i++) ids[i] = responses[i].id
    const created = responses.length === 0 ? Number.NaN : Date.parse(responses[0].time_created)
    return { ids, created, sentAt, receivedAt }
  })

export interface SubmissionConfig<I> {
  readonly service: Service
  readonly target: PipelineTarget
  readonly chunkSize: number
  readonly concurrency: number
  readonly createOptions: CreateBatchOptions | undefined
  readonly encode: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<RequestData>, InvalidRequest>
  /** How long a create in flight may still take once the run is interrupted. */
  readonly grace: Duration.DurationInput
  readonly checkpoint: Checkpoint | undefined
  /** Taken for each input that will need a result, before its chunk is created. */
  readonly reserve: (count: number) => Effect.Effect<void>
  /** Inputs whose create failed or was given up without knowing whether the server accepted them. */
  readonly onUnknownCreate: (inputs: number) => void
}

interface PlannedChunk<I> {
  readonly chunk: number
  readonly inputs: ReadonlyArray<I>
  readonly recorded: RecordedChunk | undefined
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
  inputs: Stream.Stream<I, E, R>,
  register: (accepted: AcceptedChunk<I>) => Effect.Effect<void>
): Stream.Stream<AcceptedChunk<I>, E | ReadError | InvalidRequest | CheckpointError, R> => {
  const { checkpoint, chunkSize } = config
  const first = checkpoint?.resumeFrom ?? 0
  const skipped = first > 0 ? Stream.drop(inputs, first * chunkSize) : inputs

  const plan = (chunk: number, inputs: ReadonlyArray<I>): Effect.Effect<PlannedChunk<I>, CheckpointError> =>
    checkpoint === undefined || !checkpoint.resuming
      ? Effect.succeed({ chunk, inputs, recorded: undefined })
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
            : Effect.succeed({ chunk, inputs, recorded: Option.getOrUndefined(recorded) })
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

  const create = (planned: PlannedChunk<I>) =>
    Effect.flatMap(config.encode(planned.inputs), (data) =>
      finishOnInterrupt(
        createChunk(config.service, config.target, data, config.createOptions).pipe(
          Effect.tapError((error) =>
            Effect.sync(() => {
              if (mayHaveCreated(error)) config.onUnknownCreate(planned.inputs.length)
            })
          )
        ),
        config.grace,
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
        (exit) => Effect.sync(() => Exit.isInterrupted(exit) && config.onUnknownCreate(planned.inputs.length))
      ))

  return skipped.pipe(
    Stream.grouped(chunkSize),
    Stream.mapAccum(first, (chunk, inputs) => [chunk + 1, [chunk, Chunk.toReadonlyArray(inputs)] as const]),
    Stream.mapEffect(([chunk, inputs]) =>
      Effect.flatMap(
        plan(chunk, inputs),
        (planned) => Effect.as(config.reserve(planned.inputs.length - countEmitted(planned.recorded?.emitted)), planned)
      )
    ),
    Stream.mapEffect(
      (planned) => planned.recorded === undefined ? create(planned) : adopt(planned, planned.recorded),
      { concurrency: config.concurrency }
    )
  )
}
