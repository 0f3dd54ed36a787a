import { assert, describe } from "@effect/vitest"
import * as Pipeline from "@ubiops-effect/core/Pipeline"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Schema, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { demoEcho, demoSleep, maybeFail, testProject } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"
import { itOnTestClock } from "./utils/testClock.js"

const emulator = Emulator.layerPipelineRequests({ projects: [testProject] })

describe("Batch.listAll", () => {
  itOnTestClock("pages through the list lazily with offset and limit", () =>
    Effect.gen(function*() {
      const inputs = Array.from({ length: 120 }, (_, n) => ({ n, fail: n % 4 === 0 }))
      yield* Stream.runDrain(Batch.run(maybeFail, inputs))
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      const all = yield* Batch.listAll(maybeFail, { status: ["completed", "failed"] }).pipe(
        Stream.runCollect,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(Chunk.size(all), 120)
      assert.strictEqual(new Set(Chunk.toReadonlyArray(all).map((item) => item.id)).size, 120)
      assert.deepStrictEqual(recorder.lists, [
        { offset: 0, limit: 50 },
        { offset: 50, limit: 50 },
        { offset: 100, limit: 50 }
      ])

      recorder.lists.length = 0
      const failed = yield* Batch.listAll(maybeFail, { status: "failed", pageSize: 7 }).pipe(
        Stream.take(10),
        Stream.runCollect,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(Chunk.size(failed), 10)
      assert.isTrue(Chunk.toReadonlyArray(failed).every((item) => item.status === "failed"))
      assert.deepStrictEqual(recorder.lists.map((call) => call.offset), [0, 7])
    }).pipe(Effect.provide(emulator)))
})

describe("Batch.streamRequest", () => {
  itOnTestClock("streams the partial outputs, then the final response", () =>
    Effect.gen(function*() {
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(Batch.streamRequest(demoSleep, { seconds: 1 })))
      assert.deepStrictEqual(events.map((event) => event._tag), ["Partial", "Final"])
      assert.include(events[0]._tag === "Partial" ? events[0].data : "", "slept 1 of 1 seconds")
      const final = events[1]
      assert.strictEqual(final._tag === "Final" ? final.response.status : "", "completed")
      assert.deepStrictEqual(final._tag === "Final" ? final.response.result : undefined, { seconds: 1 })
    }).pipe(Effect.provide(emulator)))

  itOnTestClock(
    "over a typed Pipeline decodes the output, and fails with the typed error of a failed run",
    () =>
      Effect.gen(function*() {
        const Echo = Pipeline.make({
          ...demoEcho,
          input: Schema.Struct({ word: Schema.String }),
          output: Schema.Struct({ word: Schema.String })
        })
        const events = Chunk.toReadonlyArray(yield* Stream.runCollect(Batch.streamRequest(Echo, { word: "hi" })))
        const final = events[events.length - 1]
        assert.deepStrictEqual(final._tag === "Final" ? final.output : undefined, { word: "hi" })

        const Sleep = Pipeline.make({
          ...demoSleep,
          input: Schema.Struct({ seconds: Schema.Number }),
          output: Schema.Struct({ seconds: Schema.Number })
        })
        const failure = yield* Effect.flip(Stream.runDrain(Batch.streamRequest(Sleep, { seconds: -1 })))
        assert.strictEqual(failure._tag, "PipelineRequestFailed")
        assert.include(failure.message, "seconds")
      }).pipe(Effect.provide(emulator))
  )
})
