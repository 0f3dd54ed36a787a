/**
 * Every example program, run as a user runs it (`tsx examples/<name>.ts`, no UbiOps variables: the embedded
 * emulator), checked for what it prints.
 */
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { run, start } from "./run.js"

const live = <A, E>(effect: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.provide(effect, NodeContext.layer)

describe("examples", () => {
  it.live("direct-request: a typed answer, and a failed run as a typed error", () =>
    live(Effect.gen(function*() {
      const { code, stdout } = yield* run("direct-request")
      assert.strictEqual(code, 0)
      assert.include(stdout, "echo answered: hello x 3")
      assert.match(stdout, /sleep failed: .*input field "seconds" must be a number of at least 0, got -1/)
    })))

  it.live("batch-with-progress: 2,000 results, and the progress on stderr", () =>
    live(Effect.gen(function*() {
      const { code, stderr, stdout } = yield* run("batch-with-progress")
      assert.strictEqual(code, 0)
      assert.include(stdout, "completed 2000, failed 0, cancelled 0")
      assert.include(stderr, "2,000/2,000 100%")
    })))

  it.live("cancellation: 8 results, then every outstanding request cancelled on the server", () =>
    live(Effect.gen(function*() {
      const { code, stdout } = yield* run("cancellation")
      assert.strictEqual(code, 0)
      assert.include(stdout, "took the first 8 results")
      const report = /stopped with (\d+) requests outstanding: (\d+) cancelled on the server/.exec(stdout)
      assert.isNotNull(report, stdout)
      assert.isAbove(Number(report![1]), 150)
      assert.strictEqual(report![2], report![1])
    })))

  it.live("resume: the resumed run gives every input its result without creating any request twice", () =>
    live(Effect.gen(function*() {
      const { code, stdout } = yield* run("resume")
      assert.strictEqual(code, 0)
      assert.include(stdout, "first run: 500 results, then it stopped")
      assert.include(stdout, "inputs with a result: 2000 of 2000")
      assert.include(stdout, "requests created on the emulator: 2000")
    })))

  it.live("compose-pipelines: each text through both pipelines", () =>
    live(Effect.gen(function*() {
      const { code, stdout } = yield* run("compose-pipelines")
      assert.strictEqual(code, 0)
      assert.include(stdout, "\"the quick brown fox\": 4 words, waited 0.04 s")
      assert.include(stdout, "\"and runs away\": 3 words, waited 0.03 s")
    })))

  it.live("custom-pipeline: the pipelines of the JSON file answer", () =>
    live(Effect.gen(function*() {
      const { code, stdout } = yield* run("custom-pipeline")
      assert.strictEqual(code, 0)
      assert.include(stdout, "price of tea-42: 12.5 EUR")
      assert.match(stdout, /reserve failed in "check": .*out of stock/)
    })))
})

describe("the demo", () => {
  it.live("runs 3,000 requests with progress and prints its summary", () =>
    live(Effect.gen(function*() {
      const { code, stdout } = yield* run("demo")
      assert.strictEqual(code, 0, stdout)
      assert.include(stdout, "UbiOps emulator started in this process at http://127.0.0.1:")
      assert.include(stdout, "3,000/3,000 100%")
      assert.include(stdout, "completed   2,970")
      assert.match(stdout, /failed {6}30 {3}e\.g\. input \d+: .*must be a number of at least 0, got -1/)
      assert.include(stdout, "cancelled   0")
      assert.match(stdout, /latency {5}p50 [\d.]+ s, p90 [\d.]+ s, p99 [\d.]+ s, max [\d.]+ s/)
      assert.match(stdout, /HTTP calls {2}\d+, as the emulator counted them: batchPipelineRequestsCreate 12, /)
    })))

  it.live("stops on Ctrl-C and says how many requests it cancelled on the server", () =>
    live(Effect.scoped(Effect.gen(function*() {
      const demo = yield* start("demo")
      // once requests were created (a busy machine may draw its first line after several chunks, not at 2,000)
      yield* Effect.sync(() => /submitted [1-9]/.test(demo.stdout())).pipe(
        Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (started) => started }),
        Effect.timeout("30 seconds")
      )
      yield* demo.process.kill("SIGINT")
      const code = yield* Effect.orDie(demo.process.exitCode)
      yield* Effect.sleep("50 millis")
      assert.strictEqual(code, 130)
      const interrupted = /Interrupted: ([\d,]+) requests were outstanding: ([\d,]+) cancelled on the server/.exec(
        demo.stdout()
      )
      assert.isNotNull(interrupted, demo.stdout())
      assert.isAbove(Number(interrupted![2].replaceAll(",", "")), 0)
    }))))
})
