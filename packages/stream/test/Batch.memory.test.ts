/**
 * What a run keeps in memory once the consumer has taken its results.
 */
import { assert, describe, it } from "@effect/vitest"
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Effect, Stream } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as Batch from "../src/Batch.js"
import { demoSleep } from "./utils/projects.js"

setFlagsFromString("--expose-gc")
const collectGarbage = runInNewContext("gc") as () => void

describe("Batch.run memory", () => {
  it.live("lets go of a poll round's results once the consumer took them, before the next round polls", () =>
    Effect.gen(function*() {
      const service = yield* PipelineRequests
      let firstTaken: WeakRef<PipelineRequestDetail> | undefined
      const heldAtLaterPolls: Array<boolean> = []
      const watched = {
        ...service,
        collect: (...args: Parameters<typeof service.collect>) =>
          Effect.suspend(() => {
            if (firstTaken !== undefined) {
              collectGarbage()
              heldAtLaterPolls.push(firstTaken.deref() !== undefined)
            }
            return service.collect(...args)
          })
      }
      // the sleep pipeline has 4 workers: 12 requests of 0.2 s finish in three waves, a poll round each
      const inputs = Array.from({ length: 12 }, () => ({ seconds: 0.2 }))
      let results = 0
      yield* Batch.run(demoSleep, inputs).pipe(
        Stream.runForEachChunk((chunk) =>
          Effect.sync(() => {
            results += chunk.length
            for (const result of chunk) {
              if (firstTaken === undefined && "detail" in result) firstTaken = new WeakRef(result.detail)
            }
          })
        ),
        Effect.provideService(PipelineRequests, watched)
      )
      assert.strictEqual(results, 12)
      assert.isAbove(heldAtLaterPolls.length, 0, "polled after the first results")
      assert.deepStrictEqual(heldAtLaterPolls, heldAtLaterPolls.map(() => false))
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))
})
