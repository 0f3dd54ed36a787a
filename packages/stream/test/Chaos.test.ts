/**
 * Chaos: `Batch.run` over the real client and a real loopback HTTP server with faults on (errors, 429, dropped
 * connections before and after creates were accepted, latency). Every input must get exactly one terminal result,
 * and the server must have created exactly one request per input. The fault mix and the seed come from the
 * environment (see `utils/chaos.ts`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import type { EmulatorOptions } from "@ubiops-effect/emulator/Emulator"
import { Effect, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import { chaosFaults, chaosInputs, chaosTimeout } from "./utils/chaos.js"
import { clientOverServer } from "./utils/overHttp.js"
import { demoEcho } from "./utils/projects.js"

const token = "chaos-token"

/** The real client over undici against a loopback emulator with these faults. */
const overFaults = (options: Pick<EmulatorOptions, "faults">) => clientOverServer({ token, ...options })

/** Runs `count` echo inputs through `Batch.run`: each must get exactly one completed result, with its own data. */
const runEach = (count: number) =>
  Effect.gen(function*() {
    const inputs = Array.from({ length: count }, (_, n) => ({ n }))
    const seen = new Uint8Array(count)
    yield* Batch.run(demoEcho, inputs).pipe(
      Stream.runForEach((result) =>
        Effect.sync(() => {
          assert.strictEqual(seen[result.index], 0, `input ${result.index} got a second result`)
          seen[result.index] = 1
          assert.strictEqual(result.status, "completed")
          assert.deepStrictEqual("detail" in result ? result.detail.request_data : "gone", inputs[result.index])
        })
      )
    )
    assert.strictEqual(seen.reduce((sum, one) => sum + one, 0), count, "every input got its result")
  })

describe("chaos", () => {
  it.live("20,000 inputs through faults: each input exactly one terminal result, 20,000 requests created", () => {
    const faults = chaosFaults()
    const count = chaosInputs(20_000)
    return Effect.gen(function*() {
      const started = Date.now()
      yield* runEach(count)
      const seconds = (Date.now() - started) / 1000
      const stats = yield* Emulator.stats
      console.log(JSON.stringify({ faults, inputs: count, seconds, ...stats }))
      assert.strictEqual(stats.created.total, count, "one request per input: nothing duplicated")
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0)
    }).pipe(Effect.provide(overFaults({ faults })))
  }, chaosTimeout())

  it.live(
    "a 408 on a create is reconciled like any ambiguous outcome: 2,000 inputs at 30% 408s, each exactly once",
    () =>
      Effect.gen(function*() {
        yield* runEach(2_000)
        const stats = yield* Emulator.stats
        assert.isAbove(stats.responses["408"] ?? 0, 0, "408s were answered")
        assert.strictEqual(stats.created.total, 2_000, "one request per input: nothing duplicated")
      }).pipe(Effect.provide(overFaults({ faults: { seed: 408, errorRates: { "408": 0.3 } } }))),
    120_000
  )
})
