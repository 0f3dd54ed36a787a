/**
 * `Batch.submit`, `Batch.poll` and `Batch.run` from the same parts: a `Submission` (chunks created exactly once,
 * their fibers owned by the stream's scope), a `Follower` (requests polled until they finish, within a window),
 * and `stopOutstanding` (what an early stop does with the requests left).
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { PipelineRequests, type PipelineTarget, type ReadError } from "@ubiops-effect/core/PipelineRequests"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { InputError, PollOptions, Result, RunError, RunOptions, SubmitOptions, Submitted } from "../Batch.js"
import * as Checkpoint from "../Checkpoint.js"
import { Estimates } from "../PollingRule.js"
import * as PollSchedule from "../PollSchedule.js"
import * as Reconciliation from "../Reconciliation.js"
import { maxItemsPerCall } from "./limits.js"
import * as Validate from "./options.js"
import { stopOutstanding } from "./outstanding.js"
import { makeFollower } from "./poller.js"
import { Tracker } from "./progressTracker.js"
import { RetentionEvidence } from "./retentionEvidence.js"
import { type AcceptedChunk, makeSubmission, type SubmissionError } from "./submission.js"
import { encoder, resultsOf, type Target, targetOf } from "./targets.js"

export const defaults = {
  chunkSize: maxItemsPerCall,
  concurrency: 4,
  pollConcurrency: 4,
  pollRetries: 5,
  window: 2000,
  order: "completion",
  onInterrupt: "cancel",
  interruptTimeout: Duration.seconds(5),
  schedule: PollSchedule.defaults
} as const

/** Inputs as the parts read them: an `Iterable` directly, anything else as a `Stream`. */
export type Readable<I, E, R> = Iterable<I> | Stream.Stream<I, E | InputError, R>

const submissionSettings = (operation: string, options: SubmitOptions | undefined) =>
  Effect.all({
    chunkSize: Validate.integer(operation, "chunkSize", options?.chunkSize ?? defaults.chunkSize, 1, maxItemsPerCall),
    concurrency: Validate.integer(operation, "concurrency", options?.concurrency ?? defaults.concurrency, 1),
    maxAttempts: Validate.integer(
      operation,
      "reconcile.maxAttempts",
      options?.reconcile?.maxAttempts ?? Reconciliation.defaults.maxAttempts,
      1
    )
  })

const pollSettings = (operation: string, options: Omit<PollOptions, "window"> | undefined) =>
  Effect.all({
    schedule: Validate.schedule(operation, options?.schedule),
    pollConcurrency: Validate.integer(
      operation,
      "pollConcurrency",
      options?.pollConcurrency ?? defaults.pollConcurrency,
      1
    ),
    pollRetries: Validate.integer(operation, "pollRetries", options?.pollRetries ?? defaults.pollRetries, 0)
  })

/** The submission of `submit` and `run`, its fibers in the stream's scope, with the settings it was made with. */
const openSubmission = <I, O>(operation: string, target: Target<I, O>, options: SubmitOptions | undefined) =>
  Effect.gen(function*() {
    const { chunkSize, concurrency } = yield* submissionSettings(operation, options)
    const service = yield* PipelineRequests
    const pipelineTarget = targetOf(target)
    const interruptTimeout = options?.interruptTimeout ?? defaults.interruptTimeout
    const submission = yield* makeSubmission<I>({
      service,
      target: pipelineTarget,
      chunkSize,
      concurrency,
      encode: encoder(target),
      createOptions: options?.create,
      // only a run has results to report an unconfirmed input with: a submission fails as with `fail`
      reconcile: operation === "Batch.run" || options?.reconcile?.onUncertain !== "report"
        ? options?.reconcile
        : { ...options.reconcile, onUncertain: "fail" },
      grace: interruptTimeout
    })
    return { chunkSize, concurrency, interruptTimeout, pipelineTarget, service, submission }
  })

export const submit = <I, O, E, R>(
  target: Target<I, O>,
  inputs: Readable<I, E, R>,
  options: SubmitOptions | undefined
): Stream.Stream<
  Submitted<I>,
  ReadError | Reconciliation.UncertainCreate | Reconciliation.MismatchedCreate | InputError | E,
  PipelineRequests | R
> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const { interruptTimeout, pipelineTarget, service, submission } = yield* openSubmission(
      "Batch.submit",
      target,
      options
    )
    /** Chunks created and not emitted yet. */
    const notHandedOn = new Map<number, ReadonlyArray<string>>()
    const takeNotHandedOn = Effect.map(submission.takeLeftovers, (leftovers) => {
      const ids = Array.from(notHandedOn.values()).flat().concat(leftovers)
      notHandedOn.clear()
      return ids
    })
    yield* Effect.addFinalizer(() =>
      (options?.onInterrupt ?? defaults.onInterrupt) === "detach" ? Effect.void : Effect.gen(function*() {
        const report = yield* stopOutstanding({
          service,
          target: pipelineTarget,
          mode: "cancel",
          known: yield* takeNotHandedOn,
          settle: submission.settle,
          late: takeNotHandedOn,
          unknownCreates: submission.unknownCreates,
          timeout: interruptTimeout
        })
        if (report.outstanding > 0 || report.unknownCreates > 0) {
          yield* Effect.logInfo("Batch.submit stopped early", report)
        }
      })
    )
    const plan = { checkpoint: undefined, estimates: new Estimates(), reserve: () => Effect.void }
    const chunks = submission.chunks(
      inputs,
      plan,
      (accepted) => Effect.sync(() => notHandedOn.set(accepted.chunk, accepted.ids))
    ) as Stream.Stream<AcceptedChunk<I>, Exclude<SubmissionError, Checkpoint.CheckpointError> | InputError | E, R> // no checkpoint
    return chunks.pipe(
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

export const poll = <E, R>(
  target: PipelineTarget,
  requestIds: Iterable<string> | Stream.Stream<string, E, R>,
  options: PollOptions | undefined
): Stream.Stream<PipelineRequestDetail, ReadError | E, PipelineRequests | R> =>
  Stream.unwrap(Effect.gen(function*() {
    const operation = "Batch.poll"
    const settings = yield* pollSettings(operation, options)
    const windowSize = yield* Validate.integer(operation, "window", options?.window ?? defaults.window, 1)
    const service = yield* PipelineRequests
    const follower = yield* makeFollower<string>(windowSize, settings.schedule)
    const ids: Stream.Stream<string, E, R> = Stream.StreamTypeId in requestIds
      ? requestIds as Stream.Stream<string, E, R>
      : Stream.fromIterable(requestIds as Iterable<string>)
    // the ids in groups, delivered as chunks of requests that exist on the server
    const feed = ids.pipe(
      Stream.grouped(Math.min(maxItemsPerCall, windowSize)),
      Stream.mapAccum({ chunk: 0, start: 0 }, ({ chunk, start }, group) => [
        { chunk: chunk + 1, start: start + group.length },
        { chunk, start, group: Chunk.toReadonlyArray(group) }
      ]),
      Stream.runForEach(({ chunk, group, start }) =>
        Effect.zipRight(
          follower.reserve(group.length),
          follower.deliver({ chunk, start, inputs: group, ids: group, created: undefined, emitted: undefined })
        )
      )
    )
    return follower.follow({
      service,
      target,
      pollConcurrency: settings.pollConcurrency,
      callOptions: options?.collect,
      pollRetries: settings.pollRetries,
      chunkSize: maxItemsPerCall,
      order: "completion",
      firstIndex: 0,
      checkpoint: undefined,
      tracker: new Tracker(undefined, undefined),
      onMissing: "fail",
      toOutputs: (finished) => Effect.succeed(finished.map((f) => f.detail!)),
      duplicateIds: "followOnce"
    }, feed)
  }))

export const run = <I, O, E, R>(
  target: Target<I, O>,
  inputs: Readable<I, E, R>,
  total: number | undefined,
  options: RunOptions | undefined
): Stream.Stream<Result<I, unknown>, RunError | E, PipelineRequests | R> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const operation = "Batch.run"
    const { chunkSize, concurrency, interruptTimeout, pipelineTarget, service, submission } = yield* openSubmission(
      operation,
      target,
      options
    )
    const settings = yield* pollSettings(operation, options)
    const windowSize = yield* Validate.integer(operation, "window", options?.window ?? defaults.window, 1)
    yield* Validate.check(
      operation,
      windowSize >= chunkSize,
      () => `window (${windowSize}) must hold at least one chunk (${chunkSize})`
    )
    const progressTotal = options?.progress === undefined
      ? undefined
      : (yield* SubscriptionRef.get(options.progress)).total
    const tracker = new Tracker(options?.progress, options?.total ?? total ?? progressTotal)
    const follower = yield* makeFollower<I>(windowSize, settings.schedule)
    const takeUnfollowed = Effect.map(
      Effect.zip(follower.takeDelivered, submission.takeLeftovers),
      ([delivered, leftovers]) => delivered.concat(leftovers)
    )

    // Runs after the submission and the polling stopped, and also when the run could not start, so that its progress
    // always ends. What the run knows is cancelled at once; chunks that were creating when the run was interrupted
    // end meanwhile (within the grace period), and what they made is cancelled as it comes.
    yield* Effect.addFinalizer((exit) =>
      Effect.gen(function*() {
        if (tracker.phase === "completed") return
        tracker.phase = Exit.isFailure(exit) && !Exit.isInterrupted(exit) ? "failed" : "interrupted"
        const report = yield* stopOutstanding({
          service,
          target: pipelineTarget,
          mode: options?.onInterrupt ?? defaults.onInterrupt,
          known: follower.window.ids().concat(yield* takeUnfollowed),
          settle: submission.settle,
          late: takeUnfollowed,
          unknownCreates: submission.unknownCreates,
          timeout: interruptTimeout
        })
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

    const evidence = new RetentionEvidence()
    const plan = { checkpoint, estimates: follower.window.estimates, reserve: follower.reserve, evidence }
    const feed = Stream.runDrain(submission.chunks(inputs, plan, follower.deliver))
    yield* tracker.publish
    return follower.follow({
      service,
      target: pipelineTarget,
      pollConcurrency: settings.pollConcurrency,
      callOptions: options?.collect,
      pollRetries: settings.pollRetries,
      chunkSize,
      order: options?.order ?? defaults.order,
      firstIndex: (checkpoint?.resumeFrom ?? 0) * chunkSize,
      checkpoint,
      tracker,
      onMissing: "emit",
      evidence,
      toOutputs: resultsOf(target),
      duplicateIds: "fail"
    }, feed)
  }))
