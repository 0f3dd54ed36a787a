import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { assert, describe, it } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Exit, Fiber, Layer, Stream, SubscriptionRef } from "effect"
import * as Batch from "../src/Batch.js"
import * as Progress from "../src/Progress.js"
import { quick, testProject } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"

const environment = Layer.merge(Emulator.layerPipelineRequests({ projects: [testProject] }), KeyValueStore.layerMemory)

const numbered = (count: number) => Array.from({ length: count }, (_, n) => ({ n }))

const indices = (results: Chunk.Chunk<Batch.Result<{ n: number }>>) =>
  Chunk.toReadonlyArray(results).map((r) => r.index)

describe("Batch.run with a checkpoint", () => {
  it.live("resumes a run stopped without cancelling: nothing submitted twice, every input gets its result", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const inputs = numbered(1_000)
      const options = {
        checkpoint: { store, key: "run-1" },
        chunkSize: 100,
        window: 500,
        onInterrupt: "detach"
      } as const

      // as a crash would leave it: stopped mid-run, nothing cancelled
      const first = yield* Batch.run(quick, inputs, options).pipe(Stream.take(300), Stream.runCollect)
      assert.strictEqual(Chunk.size(first), 300)
      const before = yield* Emulator.stats
      assert.isBelow(before.created.total, 1_000)
      assert.isAbove(before.statuses.pending + before.statuses.processing, 0)

      const second = yield* Stream.runCollect(Batch.run(quick, inputs, options))
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.total, 1_000)

      const firstSet = new Set(indices(first))
      const secondList = indices(second)
      assert.strictEqual(new Set(secondList).size, secondList.length, "the resumed run emits each result once")
      const all = new Set([...firstSet, ...secondList])
      assert.strictEqual(all.size, 1_000, "every input has its result")
      // at least once: only results of the last round handed out before the stop can come again (within the window)
      const again = secondList.filter((index) => firstSet.has(index))
      assert.isAtMost(again.length, 500)
      for (const result of Chunk.toReadonlyArray(second)) {
        assert.strictEqual(result.input, inputs[result.index])
        assert.deepStrictEqual("detail" in result ? result.detail.request_data : "gone", inputs[result.index])
      }
      // a finished run keeps only its record and its two progress slots
      assert.strictEqual(yield* store.size, 3)
    }).pipe(Effect.provide(environment)))

  it.live("resumes after an interruption in the middle of creates, in input order", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests, {
        beforeCreate: (call) => call === 3 ? Effect.sleep("50 millis") : Effect.void
      })
      const inputs = numbered(1_000)
      const options = {
        checkpoint: { store, key: "run-2" },
        chunkSize: 100,
        window: 400,
        order: "input",
        onInterrupt: "detach"
      } as const
      const emitted: Array<number> = []
      const fiber = yield* Batch.run(quick, inputs, options).pipe(
        Stream.runForEach((result) => Effect.sync(() => emitted.push(result.index))),
        Effect.provideService(PipelineRequests, service),
        Effect.fork
      )
      while (recorder.creates.length < 4) yield* Effect.sleep("1 millis")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(recorder.creates[3].ids.length, 100, "the create in flight finished and was recorded")

      const second = indices(yield* Stream.runCollect(Batch.run(quick, inputs, options)))
      assert.strictEqual((yield* Emulator.stats).created.total, 1_000)
      // in input order, from where the first run's consumer had got to (or a little before)
      const resumedAt = second[0]
      assert.deepStrictEqual(second, Array.from({ length: 1_000 - resumedAt }, (_, i) => resumedAt + i))
      assert.isAtMost(resumedAt, emitted.length)
      assert.isAtLeast(resumedAt, emitted.length - 100)
    }).pipe(Effect.provide(environment)))

  it.live("a finished run resumed emits nothing and calls nothing; another chunk size is refused", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const inputs = numbered(300)
      const checkpoint = { store, key: "run-3" }
      assert.strictEqual(yield* Stream.runCount(Batch.run(quick, inputs, { checkpoint })), 300)
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      const again = yield* Batch.run(quick, inputs, { checkpoint }).pipe(
        Stream.runCount,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(again, 0)
      assert.strictEqual(recorder.creates.length + recorder.collects.length, 0)

      const progress = yield* Progress.make()
      const other = yield* Effect.exit(
        Stream.runDrain(Batch.run(quick, inputs, { checkpoint, chunkSize: 100, progress }))
      )
      assert.isTrue(Exit.isFailure(other))
      assert.include(String(Exit.isFailure(other) ? other.cause : ""), "CheckpointError")
      assert.strictEqual((yield* SubscriptionRef.get(progress)).phase, "failed")
    }).pipe(Effect.provide(environment)))

  it.live("refuses to resume with inputs that do not match what was recorded", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const checkpoint = { store, key: "run-4" }
      yield* Batch.run(quick, numbered(250), { checkpoint, chunkSize: 100, onInterrupt: "detach" }).pipe(
        Stream.take(1),
        Stream.runDrain
      )
      const exit = yield* Effect.exit(Stream.runDrain(Batch.run(quick, numbered(20), { checkpoint, chunkSize: 100 })))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "same inputs")
    }).pipe(Effect.provide(environment)))
})
