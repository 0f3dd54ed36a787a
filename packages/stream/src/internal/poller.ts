/**
 * The poll loop of a run: takes in accepted chunks from a mailbox, polls the requests in flight with `collect`
 * on the adaptive schedule, and emits each request once, when it finished, in completion or input order.
 *
 * One round per pull of the stream: commit the checkpoint of what the consumer took, then steps until there is
 * something to emit: take in new chunks, wait as the schedule says, poll (at most `pollConcurrency` calls of at
 * most 250 ids). All per-request work is synchronous; effects are per step and per call.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { CallOptions, PipelineTarget, ReadError, Service } from "@ubiops-effect/core/PipelineRequests"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as PollSchedule from "../PollSchedule.js"
import { isTransient } from "../Reconciliation.js"
import type { Tracker } from "./progressTracker.js"
import type { AcceptedChunk } from "./submission.js"
import { type Finished, Tracked, type Window } from "./window.js"

export type Message<I> = AcceptedChunk<I> | "end"

/** What the loop tells a checkpoint (see `Checkpoint`). */
export interface EmissionLedger<CE> {
  readonly track: (chunk: number, size: number, emitted: Uint8Array | undefined) => void
  readonly markEmitted: (chunk: number, offset: number) => void
  readonly commit: Effect.Effect<void, CE>
  readonly finish: Effect.Effect<void, CE>
}

export interface PollerConfig<I, O, E, CE> {
  readonly service: Service
  readonly target: PipelineTarget
  readonly schedule: Partial<PollSchedule.Options> | undefined
  readonly pollConcurrency: number
  readonly callOptions: CallOptions | undefined
  /** Poll rounds that failed after the client's retries are made again this many times (after 1, 2, 4, ... s). */
  readonly pollRetries: number
  readonly window: Window<I>
  readonly chunkSize: number
  readonly order: "completion" | "input"
  /** The index of the first result to emit in input order. */
  readonly firstIndex: number
  /** Given back for each result emitted. */
  readonly release: (count: number) => Effect.Effect<void>
  readonly checkpoint: EmissionLedger<CE> | undefined
  readonly tracker: Tracker
  readonly toOutputs: (finished: Array<Finished<I>>) => Effect.Effect<ReadonlyArray<O>, E>
}

export const pollLoop = <I, O, E, CE>(
  config: PollerConfig<I, O, E, CE>,
  mailbox: Queue.Dequeue<Message<I>>
): Stream.Stream<O, ReadError | CE | E> =>
  Stream.unwrap(Effect.gen(function*() {
    const { checkpoint, service, target, tracker, window } = config
    const driver = yield* Schedule.driver(PollSchedule.make(config.schedule))
    // collect only reads: a round the client gave up on is made again, slowly, before the run fails
    const pollRetry = Schedule.exponential("1 second").pipe(
      Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(30))),
      Schedule.intersect(Schedule.recurs(config.pollRetries)),
      Schedule.whileInput(isTransient)
    )
    const inputOrder = config.order === "input"
    /** Input order: finished requests (or `null` for results emitted by a previous run) waiting for their turn. */
    const waiting = new Map<number, Finished<I> | null>()
    let nextIndex = config.firstIndex
    let ended = false
    let last: PollSchedule.Outcome = { polled: 0, finished: 0, predictedMillis: undefined }

    const accept = (message: Message<I>) => {
      if (message === "end") {
        ended = true
        return
      }
      const { chunk, emitted, ids, inputs, start } = message
      checkpoint?.track(chunk, ids.length, emitted)
      let duplicates = 0
      for (let i = 0; i < ids.length; i++) {
        if (emitted !== undefined && emitted[i] === 1) {
          if (inputOrder) waiting.set(start + i, null)
          continue
        }
        if (!window.add(new Tracked(ids[i], start + i, inputs[i], chunk, message.created))) duplicates++
      }
      tracker.submitted += ids.length
      return duplicates
    }

    const drain = Effect.flatMap(Queue.takeAll(mailbox), (messages) => {
      let duplicates = 0
      for (const message of messages) duplicates += accept(message) ?? 0
      return duplicates === 0 ? Effect.void : config.release(duplicates)
    })

    const inTurn = (finished: Array<Finished<I>>): Array<Finished<I>> => {
      if (!inputOrder) return finished
      for (let i = 0; i < finished.length; i++) waiting.set(finished[i].index, finished[i])
      const ready: Array<Finished<I>> = []
      for (;;) {
        const next = waiting.get(nextIndex)
        if (next === undefined) break
        waiting.delete(nextIndex)
        nextIndex++
        if (next !== null) ready.push(next)
      }
      return ready
    }

    const emit = (finished: Array<Finished<I>>) =>
      Effect.gen(function*() {
        const ready = inTurn(finished)
        tracker.pending = window.notStarted
        tracker.processing = window.processing
        if (ready.length === 0) {
          yield* tracker.publish
          return Chunk.empty<O>()
        }
        if (checkpoint !== undefined) {
          for (let i = 0; i < ready.length; i++) {
            const tracked = ready[i]
            checkpoint.markEmitted(tracked.chunk, tracked.index - tracked.chunk * config.chunkSize)
          }
        }
        yield* config.release(ready.length)
        const outputs = yield* config.toOutputs(ready)
        tracker.emitted += ready.length
        yield* tracker.publish
        return Chunk.unsafeFromArray(outputs as Array<O>)
      })

    const collectAll = (groups: Array<Array<string>>) =>
      groups.length === 1
        ? Effect.map(service.collect(target, groups[0], config.callOptions), (details) => [details])
        : Effect.forEach(groups, (ids) => service.collect(target, ids, config.callOptions), {
          concurrency: groups.length
        })

    const count = (finished: Array<Finished<I>>) => {
      for (let i = 0; i < finished.length; i++) {
        const status = finished[i].detail.status
        if (status === "completed") tracker.completed++
        else if (status === "failed") tracker.failed++
        else tracker.cancelled++
      }
    }

    /** One step: the results it emits (maybe none), or `undefined` when the run is over. */
    const step: Effect.Effect<Chunk.Chunk<O> | undefined, ReadError | CE | E> = Effect.gen(
      function*() {
        yield* drain
        if (window.size === 0) {
          if (ended) {
            if (checkpoint !== undefined) yield* checkpoint.finish
            tracker.phase = "completed"
            yield* tracker.publish
            return undefined
          }
          const message = yield* Queue.take(mailbox)
          const duplicates = accept(message) ?? 0
          if (duplicates > 0) yield* config.release(duplicates)
          yield* drain
          last = { polled: 0, finished: 0, predictedMillis: undefined }
          // results a previous run emitted may have unblocked the input order
          return yield* emit([])
        }
        const before = yield* Clock.currentTimeMillis
        // the schedule never ends: it only waits
        yield* Effect.ignore(driver.next({ ...last, predictedMillis: window.predictedDelay(before) }))
        yield* drain
        const groups = window.plan(yield* Clock.currentTimeMillis, config.pollConcurrency)
        const responses = yield* Effect.retry(collectAll(groups), pollRetry)
        const receivedAt = yield* Clock.currentTimeMillis
        let finished: Array<Finished<I>> = []
        let polled = 0
        for (let g = 0; g < groups.length; g++) {
          polled += groups[g].length
          const observed = window.observe(responses[g] as ReadonlyArray<PipelineRequestDetail>, receivedAt)
          finished = finished.length === 0 ? observed : finished.concat(observed)
        }
        last = { polled, finished: finished.length, predictedMillis: undefined }
        count(finished)
        return yield* emit(finished)
      }
    )

    const untilResults: Effect.Effect<Chunk.Chunk<O> | undefined, ReadError | CE | E> = Effect.flatMap(
      step,
      (chunk) => chunk !== undefined && Chunk.isEmpty(chunk) ? untilResults : Effect.succeed(chunk)
    )
    // A round starts when the consumer pulls, so what the previous round emitted has been taken: commit it.
    const round = checkpoint === undefined ? untilResults : Effect.zipRight(checkpoint.commit, untilResults)

    return Stream.repeatEffectChunkOption(
      Effect.matchEffect(round, {
        onFailure: (error) => Effect.fail(Option.some(error)),
        onSuccess: (chunk) => chunk === undefined ? Effect.fail(Option.none()) : Effect.succeed(chunk)
      })
    )
  }))
