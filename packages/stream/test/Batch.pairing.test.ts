/**
 * `Batch.run` pairs a batch create's ids with its inputs by position. Where the reply carries `request_data`, the
 * pairing is checked: a reply in another order fails the run with `MismatchedCreate` instead of attaching results to
 * the wrong inputs, and the chunk's requests are cancelled with the run.
 */
import { assert, describe } from "@effect/vitest"
import type { PipelineRequestBatchCreateResponse } from "@ubiops-effect/core/Models"
import { PipelineRequests, type Service } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { demoEcho, demoSleep } from "./utils/projects.js"
import { itOnTestClock } from "./utils/testClock.js"

const emulator = Emulator.layerPipelineRequests()

/** A server whose batch create echoes each input as `request_data`, in the order `reorder` gives. */
const echoing = (
  service: Service,
  reorder: (replies: Array<PipelineRequestBatchCreateResponse>) => Array<PipelineRequestBatchCreateResponse>
): Service => ({
  ...service,
  createBatch: (target, data, options) =>
    Effect.map(
      service.createBatch(target, data, options),
      (replies) => reorder(replies.map((reply, i) => ({ ...reply, request_data: data[i] as never })))
    )
})

const inputs = (count: number, extra: object = {}) => Array.from({ length: count }, (_, n) => ({ n, ...extra }))

describe("Batch.run checks a create reply's pairing where it carries request_data", () => {
  itOnTestClock("a reply in input order: every result on its own input", () =>
    Effect.gen(function*() {
      const service = echoing(yield* PipelineRequests, (replies) => replies)
      const data = inputs(300)
      const results = yield* Batch.run(demoEcho, data).pipe(
        Stream.runCollect,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(Chunk.size(results), 300)
      for (const result of results) {
        assert.strictEqual(result.status, "completed")
        if (result.status === "completed") assert.deepStrictEqual(result.detail.request_data, data[result.index])
      }
    }).pipe(Effect.provide(emulator)))

  itOnTestClock(
    "a reply in another order: the run fails with MismatchedCreate, nothing is left running",
    () =>
      Effect.gen(function*() {
        const service = echoing(yield* PipelineRequests, (replies) => replies.reverse())
        const error = yield* Batch.run(demoSleep, inputs(10, { seconds: 30 })).pipe(
          Stream.runCollect,
          Effect.provideService(PipelineRequests, service),
          Effect.flip
        )
        assert.strictEqual(error._tag, "MismatchedCreate")
        assert.deepInclude(error, { position: 0 })
        assert.match(error.message, /does not pair with its inputs/)
        const stats = yield* Emulator.stats
        assert.strictEqual(stats.created.total, 10)
        assert.strictEqual(stats.statuses.cancelled, 10)
      }).pipe(Effect.provide(emulator))
  )
})
