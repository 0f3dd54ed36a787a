/**
 * Following requests until they finish, as `Batch.run` and `Batch.poll` do: a feed delivers accepted chunks to a
 * mailbox (taking a permit of the window per request first); the poll loop takes them in, polls the requests in
 * flight with `collect` on the adaptive schedule, and emits each request once, when it finished, in completion or
 * input order, giving its permit back.
 *
 * One round per pull of the stream: commit the checkpoint of what the consumer took, then steps until there is
 * something to emit: take in new chunks, wait as the schedule says, poll (at most `pollConcurrency` calls of at
 * most 250 ids). All per-request work is synchronous; effects are per step and per call.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { CallOptions, PipelineTarget, ReadError, Service } from "@ubiops-effect/core/PipelineRequests"
import type { DecodeError } from "@ubiops-effect/core/UbiOpsError"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import {
  type Ended,
  Estimates,
  type Gone,
  type Outcome,
  type ScheduleOptions,
  Tracked,
  Window
} from "../PollingRule.js"
import * as PollSchedule from "../PollSchedule.js"
import { type Collected, collectExisting } from "./collectExisting.js"
import { maxItemsPerCall } from "./limits.js"
import type { Tracker } from "./progressTracker.js"
import { unconfirmedId } from "./reconciler.js"
import type { RetentionEvidence } from "./retentionEvidence.js"
import { retryPoll } from "./retries.js"
import type { AcceptedChunk } from "./submission.js"
import { CollectReplies, duplicateId, recentCapacity, RecentIds } from "./untrustedReplies.js"

/** `ids` but those in `left`. */
const withoutIds = (ids: ReadonlyArray<string>, left: ReadonlyArray<string>): Array<string> => {
  const gone = new Set(left)
  return ids.filter((id) => !gone.has(id))
}

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
  readonly pollConcurrency: number
  readonly callOptions: CallOptions | undefined
  /** Poll rounds that failed after the client's retries are made again this many times (after 1, 2, 4, ... s). */
  readonly pollRetries: number
  readonly chunkSize: number
  readonly order: "completion" | "input"
  /** The index of the first result to emit in input order. */
  readonly firstIndex: number
  readonly checkpoint: EmissionLedger<CE> | undefined
  readonly tracker: Tracker
  /** A request a collect does not find (404): `emit` it as gone, or `fail` the round with the 404. */
  readonly onMissing: "emit" | "fail"
  /** Told when a request is read without its data, or gone. */
  readonly evidence?: RetentionEvidence | undefined
  readonly toOutputs: (finished: Array<Ended<I, PipelineRequestDetail>>) => Effect.Effect<ReadonlyArray<O>, E>
  /** What an id delivered twice means: the same request asked for twice (`Batch.poll`: followed once), or a server
   * that gave one id to two inputs (`Batch.run`: the run fails). */
  readonly duplicateIds: "followOnce" | "fail"
}

const pollLoop = <I, O, E, CE>(
  config: PollerConfig<I, O, E, CE>,
  window: Window<I, PipelineRequestDetail>,
  mailbox: Queue.Dequeue<Message<I>>,
  release: (count: number) => Effect.Effect<void>
): Stream.Stream<O, ReadError | CE | E> =>
  Stream.unwrap(Effect.gen(function*() {
    const { checkpoint, service, target, tracker } = config
    const driver = yield* Schedule.driver(PollSchedule.make(window.schedule))
    // collect only reads: a round the client gave up on is made again, slowly, before the run fails
    const retry = retryPoll(service, config.pollRetries)
    const inputOrder = config.order === "input"
    /** Input order: finished requests (or `null` for results emitted by a previous run) waiting for their turn. */
    const waiting = new Map<number, Ended<I, PipelineRequestDetail> | null>()
    let nextIndex = config.firstIndex
    /** Inputs whose create could not be confirmed (nothing to poll): emitted at the next step. */
    let unconfirmed: Array<Gone<I, PipelineRequestDetail>> = []
    let ended = false
    let last: Outcome = { polled: 0, finished: 0, predictedMillis: undefined }
    const replies = new CollectReplies(target, config.pollRetries + 1)
    /** Set when a chunk brings an id the window already follows and that is a failure (`duplicateIds`). */
    let duplicateOf: DecodeError | undefined
    const recent = config.duplicateIds === "fail" ? new RecentIds(recentCapacity) : undefined

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
        if (ids[i] === unconfirmedId) {
          unconfirmed.push(
            new Tracked(ids[i], start + i, inputs[i], chunk, Number.NaN) as Gone<I, PipelineRequestDetail>
          )
          continue
        }
        const finishedBefore = recent !== undefined && recent.has(ids[i])
        if (
          finishedBefore || !window.add(new Tracked(ids[i], start + i, inputs[i], chunk, message.created ?? Number.NaN))
        ) {
          duplicates++
          if (config.duplicateIds === "fail" && duplicateOf === undefined) {
            duplicateOf = duplicateId(target, ids[i], start + i)
          }
        }
      }
      tracker.submitted += ids.length
      return duplicates
    }

    const drain = Effect.flatMap(Queue.takeAll(mailbox), (messages) => {
      let duplicates = 0
      for (const message of messages) duplicates += accept(message) ?? 0
      if (duplicateOf !== undefined) return Effect.fail(duplicateOf)
      return duplicates === 0 ? Effect.void : release(duplicates)
    })

    const inTurn = (finished: Array<Ended<I, PipelineRequestDetail>>): Array<Ended<I, PipelineRequestDetail>> => {
      if (!inputOrder) return finished
      for (let i = 0; i < finished.length; i++) waiting.set(finished[i].index, finished[i])
      const ready: Array<Ended<I, PipelineRequestDetail>> = []
      for (;;) {
        const next = waiting.get(nextIndex)
        if (next === undefined) break
        waiting.delete(nextIndex)
        nextIndex++
        if (next !== null) ready.push(next)
      }
      return ready
    }

    const emit = (finished: Array<Ended<I, PipelineRequestDetail>>) =>
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
        yield* release(ready.length)
        const outputs = yield* config.toOutputs(ready)
        tracker.emitted += ready.length
        yield* tracker.publish
        return Chunk.unsafeFromArray(outputs as Array<O>)
      })

    const collect = (ids: ReadonlyArray<string>) => service.collect(target, ids, config.callOptions)
    const collectGroup = config.onMissing === "emit"
      ? (ids: ReadonlyArray<string>) => collectExisting(collect, ids)
      : (ids: ReadonlyArray<string>) =>
        Effect.map(collect(ids), (details): Collected => ({ details, missing: [], calls: 1 }))
    const collectAll = (groups: Array<Array<string>>) =>
      groups.length === 1
        ? Effect.map(collectGroup(groups[0]), (collected) => [collected])
        : Effect.forEach(groups, collectGroup, { concurrency: groups.length })

    const count = (finished: Array<Ended<I, PipelineRequestDetail>>) => {
      for (let i = 0; i < finished.length; i++) {
        const status = finished[i].detail?.status
        if (status === "completed") tracker.completed++
        // a request gone from the server did not complete as far as anyone can tell
        else if (status === "failed" || status === undefined) tracker.failed++
        else tracker.cancelled++
      }
    }

    /** One step: the results it emits (maybe none), or `undefined` when the run is over. */
    const step: Effect.Effect<Chunk.Chunk<O> | undefined, ReadError | CE | E> = Effect.gen(
      function*() {
        yield* drain
        if (unconfirmed.length > 0) {
          const ready = unconfirmed
          unconfirmed = []
          count(ready)
          return yield* emit(ready)
        }
        if (window.size === 0) {
          if (ended) {
            if (checkpoint !== undefined) yield* checkpoint.finish
            tracker.phase = "completed"
            yield* tracker.publish
            return undefined
          }
          const message = yield* Queue.take(mailbox)
          const duplicates = accept(message) ?? 0
          if (duplicateOf !== undefined) return yield* duplicateOf
          if (duplicates > 0) yield* release(duplicates)
          yield* drain
          if (unconfirmed.length > 0) return Chunk.empty<O>()
          last = { polled: 0, finished: 0, predictedMillis: undefined }
          // results a previous run emitted may have unblocked the input order
          return yield* emit([])
        }
        const before = yield* Clock.currentTimeMillis
        // the schedule never ends: it only waits
        yield* Effect.ignore(driver.next({ ...last, predictedMillis: window.predictedDelay(before) }))
        yield* drain
        const groups = window.plan(yield* Clock.currentTimeMillis, config.pollConcurrency)
        const responses = yield* retry(collectAll(groups))
        const receivedAt = yield* Clock.currentTimeMillis
        let finished: Array<Ended<I, PipelineRequestDetail>> = []
        let polled = 0
        const evidence = config.evidence
        if (evidence !== undefined && !evidence.dataNotKept) {
          for (const { details, missing } of responses) {
            if (missing.length > 0 || details.some((detail) => detail.request_data === null)) {
              evidence.dataNotKept = true
            }
          }
        }
        for (let g = 0; g < groups.length; g++) {
          polled += groups[g].length
          const { details, missing } = responses[g]
          const asked = missing.length === 0 ? groups[g] : withoutIds(groups[g], missing)
          const observed: Array<Ended<I, PipelineRequestDetail>> = window.observe(
            yield* replies.check(asked, details),
            receivedAt
          )
          finished = finished.length === 0 ? observed : finished.concat(observed)
          if (responses[g].missing.length > 0) finished = finished.concat(window.drop(responses[g].missing))
        }
        last = { polled, finished: finished.length, predictedMillis: undefined }
        if (recent !== undefined) { for (let i = 0; i < finished.length; i++) recent.add(finished[i].id) }
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
    // Each stage of an Effect stream keeps the last chunk it emitted until it emits another: an empty chunk after
    // each chunk of results lets every stage down to the consumer drop those results (a round of 1,000 details is
    // some 2 MB of heap) before the next round waits, polls and decodes.
    let emittedResults = false
    const roundAfterRelease = Effect.suspend(() => {
      if (emittedResults) {
        emittedResults = false
        return Effect.succeed(Chunk.empty<O>())
      }
      return Effect.map(round, (chunk) => {
        emittedResults = chunk !== undefined
        return chunk
      })
    })

    return Stream.repeatEffectChunkOption(
      Effect.matchEffect(roundAfterRelease, {
        onFailure: (error) => Effect.fail(Option.some(error)),
        onSuccess: (chunk) => chunk === undefined ? Effect.fail(Option.none()) : Effect.succeed(chunk)
      })
    )
  }))

/** The requests a run or a poll follows: delivered by a feed, taken in and polled by the loop. */
export interface Follower<I> {
  readonly window: Window<I, PipelineRequestDetail>
  /** Takes a permit of the window for each request about to be delivered. */
  readonly reserve: (count: number) => Effect.Effect<void>
  readonly deliver: (accepted: AcceptedChunk<I>) => Effect.Effect<void>
  /** Takes the requests delivered and not taken in by the loop yet. */
  readonly takeDelivered: Effect.Effect<Array<string>>
  /** The results of the requests `feed` delivers, with the feed running beside the loop. */
  readonly follow: <O, E, CE, FE, FR>(
    config: PollerConfig<I, O, E, CE>,
    feed: Effect.Effect<void, FE, FR>
  ) => Stream.Stream<O, ReadError | CE | E | FE, FR>
}

/** `windowSize` requests at most delivered and not emitted. */
export const makeFollower = <I>(windowSize: number, schedule: ScheduleOptions): Effect.Effect<Follower<I>> =>
  Effect.gen(function*() {
    const permits = yield* Effect.makeSemaphore(windowSize)
    const mailbox = yield* Queue.unbounded<Message<I>>()
    const window = new Window<I, PipelineRequestDetail>(new Estimates(), schedule, maxItemsPerCall)
    return {
      window,
      reserve: (count) => count === 0 ? Effect.void : permits.take(count),
      deliver: (accepted) => Queue.offer(mailbox, accepted),
      takeDelivered: Effect.map(Queue.takeAll(mailbox), (messages) => {
        const ids: Array<string> = []
        for (const message of messages) {
          if (message === "end") continue
          for (const id of message.ids) if (id !== unconfirmedId) ids.push(id)
        }
        return ids
      }),
      follow: (config, feed) =>
        Stream.merge(
          pollLoop(config, window, mailbox, (count) => permits.release(count)),
          Stream.drain(Stream.fromEffect(Effect.zipRight(feed, Queue.offer(mailbox, "end"))))
        )
    }
  })
