import { assert, describe } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Clock, Effect, Exit, Fiber, Option, Stream, SubscriptionRef } from "effect"
import * as Batch from "../src/Batch.js"
import type * as Cancellation from "../src/Cancellation.js"
import * as Progress from "../src/Progress.js"
import { demoSleep } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"
import { itOnTestClock } from "./utils/testClock.js"

const emulator = Emulator.layerPipelineRequests()

const sleeping = (count: number, seconds: number) => Array.from({ length: count }, () => ({ seconds }))

/** Nothing of the run is left queued or running on the server. */
const assertNothingLeft = Effect.gen(function*() {
  const stats = yield* Emulator.stats
  assert.strictEqual(stats.statuses.pending, 0, "pending")
  assert.strictEqual(stats.statuses.processing, 0, "processing")
  return stats
})

const waitUntil = (condition: () => boolean) =>
  Effect.gen(function*() {
    while (!condition()) yield* Effect.sleep("5 millis")
  })

describe("Batch.run interrupted", () => {
  itOnTestClock(
    "take(100) of 5,000 on a slow pipeline leaves nothing pending or processing, and says so",
    () =>
      Effect.gen(function*() {
        const reports: Array<Cancellation.Report> = []
        const results = yield* Batch.run(demoSleep, sleeping(5_000, 0.05), {
          onInterrupted: (report) => Effect.sync(() => reports.push(report))
        }).pipe(Stream.take(100), Stream.runCollect)
        assert.strictEqual(Chunk.size(results), 100)
        const stats = yield* assertNothingLeft
        assert.strictEqual(reports.length, 1)
        const [report] = reports
        assert.strictEqual(report.mode, "cancel")
        assert.strictEqual(report.outstanding, stats.created.total - stats.statuses.completed)
        assert.strictEqual(report.cancelled, stats.statuses.cancelled)
        assert.isAbove(report.cancelled, 1_000)
        assert.strictEqual(report.cancelled + report.alreadyFinished, report.outstanding)
        assert.strictEqual(report.failedToCancel, 0)
      }).pipe(Effect.provide(emulator))
  )

  itOnTestClock(
    "interrupting cancels also the requests of a create whose response was still in flight",
    () =>
      Effect.gen(function*() {
        const recorder = new Recorder()
        const service = recorder.wrap(yield* PipelineRequests, {
          beforeCreate: (call) => call === 2 ? Effect.sleep("300 millis") : Effect.void
        })
        const progress = yield* Progress.make()
        const fiber = yield* Batch.run(demoSleep, sleeping(1_000, 10), { chunkSize: 100, concurrency: 1, progress })
          .pipe(
            Stream.runDrain,
            Effect.provideService(PipelineRequests, service),
            Effect.fork
          )
        yield* waitUntil(() => recorder.creates.length === 3)
        yield* Fiber.interrupt(fiber)
        // the held create went through after the interruption started, and its requests were cancelled too
        assert.strictEqual(recorder.creates[2].ids.length, 100)
        const stats = yield* assertNothingLeft
        assert.strictEqual(stats.created.total, 300)
        assert.strictEqual(stats.statuses.cancelled, 300)
        const cancelled = new Set(recorder.cancels.flat())
        assert.isTrue(recorder.creates[2].ids.every((id) => cancelled.has(id)))
        assert.isTrue(recorder.cancels.every((ids) => ids.length <= 250))
        const snapshot = yield* SubscriptionRef.get(progress)
        assert.strictEqual(snapshot.phase, "interrupted")
        assert.deepStrictEqual(
          { ...snapshot.interruption, errors: [] },
          {
            mode: "cancel",
            outstanding: 300,
            cancelled: 300,
            alreadyFinished: 0,
            failedToCancel: 0,
            unverified: 0,
            unknownCreates: 0,
            errors: []
          }
        )
      }).pipe(Effect.provide(emulator))
  )

  itOnTestClock("a timeout, an error downstream and a closing scope cancel too", () =>
    Effect.gen(function*() {
      const timedOut = yield* Batch.run(demoSleep, sleeping(500, 10)).pipe(
        Stream.runDrain,
        Effect.timeoutOption("300 millis")
      )
      assert.isTrue(Option.isNone(timedOut))
      yield* assertNothingLeft

      const failed = yield* Batch.run(demoSleep, sleeping(500, 0.02)).pipe(
        Stream.mapEffect((result) => result.index >= 0 ? Effect.fail("downstream failed" as const) : Effect.void),
        Stream.runDrain,
        Effect.exit
      )
      assert.deepStrictEqual(failed, Exit.fail("downstream failed" as const))
      yield* assertNothingLeft

      const pulled = yield* Effect.scoped(Effect.gen(function*() {
        const pull = yield* Stream.toPull(Batch.run(demoSleep, sleeping(500, 0.02)))
        return yield* pull
      }))
      assert.isAbove(Chunk.size(pulled), 0)
      const stats = yield* assertNothingLeft
      assert.isAbove(stats.statuses.cancelled, 1_000)
    }).pipe(Effect.provide(emulator)))

  itOnTestClock("onInterrupt: detach leaves the requests running and reports them", () =>
    Effect.gen(function*() {
      const reports: Array<Cancellation.Report> = []
      yield* Batch.run(demoSleep, sleeping(300, 10), {
        onInterrupt: "detach",
        onInterrupted: (report) => Effect.sync(() => reports.push(report))
      }).pipe(Stream.runDrain, Effect.timeoutOption("300 millis"))
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 300)
      assert.strictEqual(reports[0].mode, "detach")
      assert.strictEqual(reports[0].outstanding, 300)
      assert.strictEqual(reports[0].cancelled, 0)
    }).pipe(Effect.provide(emulator)))

  itOnTestClock(
    "cancels what it knows at once, without waiting for a create still in flight, then that create's too",
    () =>
      Effect.gen(function*() {
        const recorder = new Recorder()
        const service = recorder.wrap(yield* PipelineRequests, {
          beforeCreate: (call) => call === 2 ? Effect.sleep("1500 millis") : Effect.void
        })
        const fiber = yield* Batch.run(demoSleep, sleeping(1_000, 30), { chunkSize: 100, concurrency: 1 }).pipe(
          Stream.runDrain,
          Effect.provideService(PipelineRequests, service),
          Effect.fork
        )
        yield* waitUntil(() => recorder.creates.length === 3)
        const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
        yield* Effect.sleep("700 millis")
        const meanwhile = yield* Emulator.stats
        assert.strictEqual(meanwhile.created.total, 200, "the third create is still on its way")
        assert.strictEqual(meanwhile.statuses.cancelled, 200, "the requests known are cancelled already")
        yield* Fiber.join(interrupting)
        const stats = yield* assertNothingLeft
        assert.strictEqual(stats.created.total, 300)
        assert.strictEqual(stats.statuses.cancelled, 300)
      }).pipe(Effect.provide(emulator))
  )

  itOnTestClock(
    "a cancel that hangs or a create that never answers holds the interruption no longer than the timeout",
    () =>
      Effect.gen(function*() {
        const recorder = new Recorder()
        const service = recorder.wrap(yield* PipelineRequests, {
          beforeCreate: (call) => call === 1 ? Effect.never : Effect.void,
          cancelBatch: () => Effect.never
        })
        const progress = yield* Progress.make()
        const fiber = yield* Batch.run(demoSleep, sleeping(400, 10), {
          chunkSize: 200,
          concurrency: 1,
          interruptTimeout: "200 millis",
          progress
        }).pipe(Stream.runDrain, Effect.provideService(PipelineRequests, service), Effect.fork)
        yield* waitUntil(() => recorder.creates.length === 2)
        const start = yield* Clock.currentTimeMillis
        yield* Fiber.interrupt(fiber)
        const took = (yield* Clock.currentTimeMillis) - start
        assert.isAtMost(took, 1_500)
        const report = (yield* SubscriptionRef.get(progress)).interruption
        assert.strictEqual(report?.outstanding, 200)
        assert.strictEqual(report?.failedToCancel, 200)
        assert.strictEqual(report?.unknownCreates, 200)
        assert.isTrue((report?.errors ?? []).some((message) => message.includes("did not finish")))
      }).pipe(Effect.provide(emulator))
  )

  itOnTestClock(
    "a cancel the server accepted whose check does not end in time is counted as unverified, not as failed",
    () =>
      Effect.gen(function*() {
        let checksHang = false
        const recorder = new Recorder()
        const service = recorder.wrap(yield* PipelineRequests, {
          beforeCollect: () => checksHang ? Effect.never : Effect.void
        })
        const progress = yield* Progress.make()
        const fiber = yield* Batch.run(demoSleep, sleeping(400, 10), {
          chunkSize: 200,
          interruptTimeout: "200 millis",
          progress
        }).pipe(Stream.runDrain, Effect.provideService(PipelineRequests, service), Effect.fork)
        yield* waitUntil(() => recorder.createdIds === 400)
        checksHang = true
        yield* Fiber.interrupt(fiber)
        const report = (yield* SubscriptionRef.get(progress)).interruption
        assert.strictEqual(report?.outstanding, 400)
        assert.strictEqual(report?.unverified, 400)
        assert.strictEqual(report?.failedToCancel, 0)
        yield* assertNothingLeft
      }).pipe(Effect.provide(emulator))
  )
})

describe("Batch.submit", () => {
  itOnTestClock("emits index, input and request id in input order, one create per chunk", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      const inputs = sleeping(1_000, 0)
      const submitted = Chunk.toReadonlyArray(
        yield* Batch.submit(demoSleep, inputs, { chunkSize: 100 }).pipe(
          Stream.runCollect,
          Effect.provideService(PipelineRequests, service)
        )
      )
      assert.deepStrictEqual(submitted.map((s) => s.index), inputs.map((_, i) => i))
      assert.isTrue(submitted.every((s) => s.input === inputs[s.index]))
      assert.deepStrictEqual(submitted.map((s) => s.requestId), recorder.creates.flatMap((call) => call.ids))
      assert.strictEqual(recorder.creates.length, 10)
    }).pipe(Effect.provide(emulator)))

  itOnTestClock("cancels the requests created but not emitted when stopped", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests, {
        beforeCreate: (call) => call === 0 ? Effect.sleep("100 millis") : Effect.void
      })
      const first = yield* Batch.submit(demoSleep, sleeping(1_000, 10), { chunkSize: 100 }).pipe(
        Stream.take(1),
        Stream.runCollect,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(Chunk.size(first), 1)
      // chunk 0 was emitted (the caller owns its requests); chunks created meanwhile were cancelled
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 100)
      assert.strictEqual(stats.statuses.cancelled, stats.created.total - 100)
    }).pipe(Effect.provide(emulator)))
})
