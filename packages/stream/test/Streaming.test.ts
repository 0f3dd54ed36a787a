import { assert, layer } from "@effect/vitest"
import * as Pipeline from "@ubiops-effect/core/Pipeline"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Schema, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { demoEcho, demoSleep } from "./utils/projects.js"
import { onTestClock } from "./utils/testClock.js"

const emulator = Emulator.layerPipelineRequests()

layer(emulator)("Batch.streamRequest (module Streaming), one emulator for the suite", (it) => {
  it.effect("streams the partial outputs, then the final response", () =>
    onTestClock(Effect.gen(function*() {
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(Batch.streamRequest(demoSleep, { seconds: 1 })))
      assert.deepStrictEqual(events.map((event) => event._tag), ["Partial", "Final"])
      assert.include(events[0]._tag === "Partial" ? events[0].data : "", "slept 1 of 1 seconds")
      const final = events[1]
      assert.strictEqual(final._tag === "Final" ? final.response.status : "", "completed")
      assert.deepStrictEqual(final._tag === "Final" ? final.response.result : undefined, { seconds: 1 })
    })))

  it.effect(
    "over a typed Pipeline decodes the output, and fails with the typed error of a failed run",
    () =>
      onTestClock(Effect.gen(function*() {
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
      }))
  )
})
