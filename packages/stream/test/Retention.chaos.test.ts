/**
 * `Batch.run` over the real client and a loopback emulator whose pipeline versions keep only metadata or nothing,
 * with the emulator's own faults on creates (connections dropped before and after the requests were stored) and
 * 503s on every call: each input runs at most once on the server, and gets exactly one typed result.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import type { ProjectDefinition } from "@ubiops-effect/emulator/PipelineDefinition"
import { Effect, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { clientOverServer } from "./utils/overHttp.js"

const token = "retention-token"
const faults = { seed: 14, dropBeforeAccept: 0.1, dropAfterAccept: 0.15, errorRates: { "503": 0.02 } }

const chaosRun = (retention: "metadata" | "none") => {
  const runs = new Map<number, number>()
  const project: ProjectDefinition = {
    name: "kept",
    pipelines: [{
      name: "counted",
      requestRetentionMode: retention,
      workers: 50,
      objects: [{
        kind: "deployment",
        name: "count",
        run: (input) =>
          Effect.sync(() => {
            const n = (input as { n: number }).n
            runs.set(n, (runs.get(n) ?? 0) + 1)
            return input
          })
      }]
    }]
  }
  const inputs = Array.from({ length: 2_000 }, (_, n) => ({ n }))
  return Effect.gen(function*() {
    const statuses: Record<string, number> = {}
    const seen = new Uint8Array(inputs.length)
    yield* Batch.run({ project: "kept", pipeline: "counted" }, inputs, {
      chunkSize: 100,
      reconcile: { retention, onUncertain: "report" }
    }).pipe(Stream.runForEach((result) =>
      Effect.sync(() => {
        assert.strictEqual(seen[result.index], 0, `input ${result.index} got a second result`)
        seen[result.index] = 1
        statuses[result.status] = (statuses[result.status] ?? 0) + 1
        if (result.status !== "unconfirmed") assert.strictEqual(runs.get(result.index), 1, `input ${result.index}`)
      })
    ))
    const stats = yield* Emulator.stats
    for (const [n, count] of runs) assert.strictEqual(count, 1, `input ${n} ran ${count} times on the server`)
    assert.strictEqual(seen.reduce((sum, one) => sum + one, 0), inputs.length, "every input has its result")
    assert.strictEqual(stats.created.total, runs.size, "each request created ran, once")
    console.log(
      JSON.stringify({ retention, statuses, created: stats.created.total, dropped: stats.dropped, calls: stats.calls })
    )
    return { statuses, stats }
  }).pipe(Effect.provide(clientOverServer({ token, projects: [project], demo: false, faults })))
}

describe("Batch.run over HTTP under retention and faults", () => {
  it.live(
    "metadata: 2,000 inputs, each a completed or an unconfirmed result, none run twice",
    () =>
      Effect.gen(function*() {
        const { stats, statuses } = yield* chaosRun("metadata")
        assert.isAbove(stats.dropped.afterAccept, 0, "some creates were accepted without an answer")
        assert.strictEqual((statuses.completed ?? 0) + (statuses.unconfirmed ?? 0), 2_000)
      }),
    120_000
  )

  it.live("none: 2,000 inputs, each a gone or an unconfirmed result, none run twice", () =>
    Effect.gen(function*() {
      const { stats, statuses } = yield* chaosRun("none")
      assert.isAbove(stats.dropped.afterAccept, 0, "some creates were accepted without an answer")
      assert.strictEqual((statuses.gone ?? 0) + (statuses.unconfirmed ?? 0), 2_000)
    }), 120_000)
})
