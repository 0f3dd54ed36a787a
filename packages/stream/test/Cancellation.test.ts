/**
 * `cancelRequests` when the server refuses a batch cancel: the group is tried again in halves, down to single
 * cancels, instead of counting all of its requests as not cancelled. Over the emulator's HTTP app in process (its
 * refusals and its error faults are the real wire's).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Client from "@ubiops-effect/core/PipelineRequests"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorHttpClient from "@ubiops-effect/emulator/EmulatorHttpClient"
import { Effect, Layer, Redacted } from "effect"
import * as Cancellation from "../src/Cancellation.js"
import { demoSleep } from "./utils/projects.js"

const token = "tok-cancel-0b7e"

const overHttp = Client.layer({ token: Redacted.make(token), host: EmulatorHttpClient.baseUrl }).pipe(
  Layer.provide(EmulatorHttpClient.layer),
  Layer.provideMerge(Emulator.layer({ token }))
)

/** 250 requests that sleep a minute: pending or processing while the test runs. */
const createSleeping = Effect.gen(function*() {
  const service = yield* PipelineRequests
  const created = yield* service.createBatch(demoSleep, Array.from({ length: 250 }, () => ({ seconds: 60 })))
  return created.map((request) => request.id)
})

describe("cancelRequests when the server refuses the batch cancel", () => {
  it.live("a group with one deleted request: the 249 others are cancelled, one counted as not", () =>
    Effect.gen(function*() {
      const service = yield* PipelineRequests
      const ids = yield* createSleeping
      yield* service.delete(demoSleep, ids[100])
      // the server refuses the whole group: it names the request it cannot find
      const refused = yield* Effect.flip(service.cancelBatch(demoSleep, ids))
      assert.strictEqual(refused._tag, "NotFound")

      const report = yield* Cancellation.cancelRequests(demoSleep, ids)
      assert.deepInclude(report, { outstanding: 250, cancelled: 249, failedToCancel: 1, alreadyFinished: 0 })
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.statuses.cancelled, 249)
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0)
      // halving finds the one request in 1 + 2 * 8 calls (250 ids, 8 halvings), not 250 single cancels; and the
      // test's own refused call above
      const cancels = (stats.calls.pipelineRequestsBatchCancel ?? 0) + (stats.calls.pipelineRequestsUpdate ?? 0)
      assert.strictEqual(cancels, 1 + 1 + 2 * 8)
    }).pipe(Effect.provide(overHttp)))

  it.live("with a quarter of the calls answered 400 by the emulator's faults, nearly every request is cancelled", () =>
    Effect.gen(function*() {
      const ids = yield* createSleeping
      yield* Emulator.setFaults({ seed: 7, errorRates: { "400": 0.25 } })
      const report = yield* Cancellation.cancelRequests(demoSleep, ids)
      yield* Emulator.setFaults({})
      const stats = yield* Emulator.stats
      // the server's own count: a refused group of 250 used to leave all 250 running
      assert.isAtLeast(stats.statuses.cancelled, 245)
      assert.strictEqual(report.failedToCancel, 250 - stats.statuses.cancelled)
      assert.strictEqual(
        report.cancelled + report.alreadyFinished + report.failedToCancel + report.unverified,
        report.outstanding
      )
    }).pipe(Effect.provide(overHttp)))
})
