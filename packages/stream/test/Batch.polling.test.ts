import { assert, describe, it } from "@effect/vitest"
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { demoEcho, demoSleep } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"
import { onTestClock } from "./utils/testClock.js"

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((time, i) => time - times[i])

describe("Batch polling", () => {
  it.effect("backs off while nothing finishes, then polls when requests are predicted to finish", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      // the sleep pipeline has 4 workers: three waves of 4 requests of 2 s
      const inputs = Array.from({ length: 12 }, () => ({ seconds: 2 }))
      const results = yield* onTestClock(
        Batch.run(demoSleep, inputs).pipe(Stream.runCollect, Effect.provideService(PipelineRequests, service))
      )
      assert.strictEqual(Chunk.size(results), 12)
      const times = recorder.collects.map((call) => call.at)
      // backoff from 200 ms (x2) while nothing finished; the first wave finished at 2 s
      assert.deepStrictEqual(times.slice(0, 4), [200, 600, 1_400, 3_000])
      // then each wave predicted from the durations seen: it started at 2 s and 4 s and takes 2 s, plus 100 ms
      assert.deepStrictEqual(times.slice(4), [4_100, 6_100])
      const found = recorder.collects.map((call) => call.details.filter((d) => d.status === "completed").length)
      assert.deepStrictEqual(found, [0, 0, 0, 4, 4, 4])
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))

  it.effect("backs off up to the cap while nothing changes", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      yield* onTestClock(
        Batch.run(demoSleep, [{ seconds: 40 }]).pipe(Stream.runDrain, Effect.provideService(PipelineRequests, service)),
        100
      )
      const times = recorder.collects.map((call) => call.at)
      assert.deepStrictEqual(gaps(times), [400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000])
      assert.strictEqual(times[0], 200)
      assert.isAtLeast(times[times.length - 1], 40_000)
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))

  it.effect("never sends more than 250 ids and never asks again for a request already terminal", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      // durations that vary: predictions are sometimes early, and the polls overlap waves
      const inputs = Array.from({ length: 300 }, (_, i) => ({ seconds: 0.1 + (i % 7) * 0.13 }))
      const results = yield* onTestClock(
        Batch.run(demoSleep, inputs, { window: 260 }).pipe(
          Stream.runCollect,
          Effect.provideService(PipelineRequests, service)
        ),
        100
      )
      assert.strictEqual(Chunk.size(results), 300)
      assert.isTrue(recorder.collects.every((call) => call.ids.length <= 250))
      assert.deepStrictEqual(recorder.askedForTerminal(), [])
      // unaligned finishes are gathered: about one poll per second of coalescing, not one per finish
      const span = recorder.collects[recorder.collects.length - 1].at
      assert.isBelow(recorder.collects.length, (span / 1_000) * 1.5)
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))

  it.effect("polls instant requests about once per chunk, in calls filled up to 250 ids", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      const inputs = Array.from({ length: 5_000 }, (_, n) => ({ n }))
      const count = yield* onTestClock(
        Batch.run(demoEcho, inputs).pipe(Stream.runCount, Effect.provideService(PipelineRequests, service))
      )
      assert.strictEqual(count, 5_000)
      assert.strictEqual(recorder.creates.length, 20)
      assert.isAtMost(recorder.collects.length, 24)
      assert.isTrue(recorder.collects.every((call) => call.ids.length <= 250))
      assert.deepStrictEqual(recorder.askedForTerminal(), [])
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))

  it.effect("Batch.poll emits each request once, when terminal", () =>
    Effect.gen(function*() {
      const service = yield* PipelineRequests
      const created = [
        ...yield* service.createBatch(demoSleep, Array.from({ length: 200 }, (_, i) => ({ seconds: (i % 3) / 10 }))),
        ...yield* service.createBatch(demoSleep, Array.from({ length: 100 }, (_, i) => ({ seconds: (i % 2) / 10 })))
      ]
      const ids = created.map((item) => item.id)
      const recorder = new Recorder()
      const details: ReadonlyArray<PipelineRequestDetail> = Chunk.toReadonlyArray(
        yield* onTestClock(
          Batch.poll(demoSleep, Stream.fromIterable(ids), { window: 260 }).pipe(
            Stream.runCollect,
            Effect.provideService(PipelineRequests, recorder.wrap(service))
          ),
          50
        )
      )
      assert.strictEqual(details.length, 300)
      assert.deepStrictEqual(new Set(details.map((d) => d.id)), new Set(ids))
      assert.isTrue(details.every((d) => d.status === "completed"))
      assert.isTrue(recorder.collects.every((call) => call.ids.length <= 250))
      assert.deepStrictEqual(recorder.askedForTerminal(), [])
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))
})
