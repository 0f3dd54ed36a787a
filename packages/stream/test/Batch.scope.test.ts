/**
 * The fibers of a run belong to its scope: closing the stream ends the chunks still creating, whatever the grace
 * period, with no `settle` for anyone to remember.
 */
import { assert, describe, it } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Deferred, Effect, Fiber, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { demoEcho } from "./utils/projects.js"

describe("a run's scope", () => {
  it.effect("ends the chunks still creating when it closes, also with a grace period of an hour", () =>
    Effect.gen(function*() {
      const service = yield* PipelineRequests
      const started = yield* Deferred.make<void>()
      let interrupted = 0
      const hanging = {
        ...service,
        createBatch: () =>
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
            Effect.onInterrupt(() => Effect.sync(() => interrupted++))
          )
      }
      const run = yield* Batch.submit(demoEcho, [{ n: 1 }], { onInterrupt: "detach", interruptTimeout: "1 hour" }).pipe(
        Stream.runDrain,
        Effect.provideService(PipelineRequests, hanging),
        Effect.fork
      )
      yield* Deferred.await(started)
      // detached, `submit` does not wait for its chunks when it stops: its scope alone ends the one creating, at once
      // (the TestClock never moves, so the hour of grace never passes)
      yield* Fiber.interrupt(run)
      assert.strictEqual(interrupted, 1)
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))
})
