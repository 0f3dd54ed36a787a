import { assert, describe, it } from "@effect/vitest"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorHttpClient from "@ubiops-effect/emulator/EmulatorHttpClient"
import { Chunk, Effect, Layer, Redacted, Stream, SubscriptionRef } from "effect"
import * as Batch from "../src/Batch.js"
import * as Progress from "../src/Progress.js"
import { demoEcho, demoSleep } from "./utils/projects.js"

// the whole client stack: core's client over HTTP, answered in-process by the emulator's HTTP application
const clientStack = PipelineRequests.layer({ token: Redacted.make("t"), host: EmulatorHttpClient.baseUrl }).pipe(
  Layer.provide(EmulatorHttpClient.layer),
  Layer.provideMerge(Emulator.layer({ token: "t" }))
)

describe("Batch.run over the core client", () => {
  it.live("gives each input its result through encoding, HTTP and decoding", () =>
    Effect.gen(function*() {
      const inputs = Array.from({ length: 2_000 }, (_, n) => ({ n, text: `input ${n} é` }))
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(Batch.run(demoEcho, inputs, { order: "input" })))
      assert.strictEqual(results.length, 2_000)
      results.forEach((result, i) => {
        assert.strictEqual(result.index, i)
        assert.deepStrictEqual(result.status === "completed" ? result.output : undefined, inputs[i])
      })
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.total, 2_000)
      assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 8)
      assert.isAtMost(stats.calls.pipelineRequestsBatchGet, 10)
    }).pipe(Effect.provide(clientStack)))

  it.live("cancels what it created when stopped", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make()
      const results = yield* Batch.run(demoSleep, Array.from({ length: 600 }, () => ({ seconds: 0.05 })), {
        progress
      }).pipe(Stream.take(20), Stream.runCollect)
      assert.strictEqual(Chunk.size(results), 20)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0)
      const snapshot = yield* SubscriptionRef.get(progress)
      assert.strictEqual(snapshot.interruption?.cancelled, stats.statuses.cancelled)
      assert.isAbove(stats.statuses.cancelled, 400)
    }).pipe(Effect.provide(clientStack)))
})
