import { assert, describe } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { maybeFail, testProject } from "./utils/projects.js"
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
