/**
 * Testing code that calls UbiOps with the emulator's fake layers instead of UbiOps. Copy this file next to your
 * app's tests, and run it with `npx vitest run examples/testing-with-fakes.test.ts`.
 *
 * - `Emulator.layerPipelineRequests()`: the `PipelineRequests` service on the emulator's engine, in memory. Fast,
 *   and its time is Effect's `Clock`: under `it.effect` a 30-second pipeline finishes when the `TestClock` says so.
 * - `EmulatorHttpClient.layer`: the real client, sending real HTTP requests to the emulator in-process (no socket):
 *   headers, status codes, typed errors and faults included.
 */
import { assert, describe, it } from "@effect/vitest"
import { Pipeline, PipelineRequests } from "@ubiops-effect/core"
import { Emulator, EmulatorHttpClient } from "@ubiops-effect/emulator"
import { Effect, Fiber, Layer, Redacted, Schema, TestClock } from "effect"

// ---- the app under test (in your code base: imported from your modules) ----

const Echo = Pipeline.make({
  project: "demo",
  pipeline: "echo",
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ text: Schema.String })
})

const Sleep = Pipeline.make({
  project: "demo",
  pipeline: "sleep",
  input: Schema.Struct({ seconds: Schema.Number }),
  output: Schema.Struct({ seconds: Schema.Number })
})

/** Greets everyone through the echo pipeline, four at a time. */
const greetAll = (names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) => Effect.map(Echo.request({ text: `hello ${name}` }), (out) => out.text), {
    concurrency: 4
  })

/** Runs the slow pipeline, giving up after a minute. */
const nap = (seconds: number) =>
  Sleep.request({ seconds }).pipe(Effect.timeoutFail({ duration: "1 minute", onTimeout: () => "gave up" as const }))

// ---- the tests ----

describe("the app, on the in-memory fake", () => {
  const InMemory = Emulator.layerPipelineRequests()

  it.effect("greets everyone, one request each", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* greetAll(["ada", "grace"]), ["hello ada", "hello grace"])
      // the emulator says what it saw
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.byPipeline.echo, 2)
    }).pipe(Effect.provide(InMemory)))

  it.effect("waits out a 30-second pipeline in no time, under the TestClock", () =>
    Effect.gen(function*() {
      const napping = yield* Effect.fork(nap(30))
      yield* TestClock.adjust("30 seconds")
      assert.deepStrictEqual(yield* Fiber.join(napping), { seconds: 30 })
    }).pipe(Effect.provide(InMemory)))

  it.effect("gives up on a pipeline slower than a minute", () =>
    Effect.gen(function*() {
      const napping = yield* Effect.fork(nap(90))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Effect.flip(Fiber.join(napping)), "gave up")
    }).pipe(Effect.provide(InMemory)))

  it.effect("gets a failed run as a typed error, with the pipeline's message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Sleep.request({ seconds: -1 }))
      assert.strictEqual(error._tag, "PipelineRequestFailed")
      assert.include(error._tag === "PipelineRequestFailed" ? error.errorMessage : "", "must be a number of at least 0")
    }).pipe(Effect.provide(InMemory)))
})

describe("the app, on the real client over in-process HTTP", () => {
  const token = "test-token"
  const OverHttp = PipelineRequests.layer({ token: Redacted.make(token), host: EmulatorHttpClient.baseUrl }).pipe(
    Layer.provide(EmulatorHttpClient.layer),
    Layer.provideMerge(Emulator.layer({ token }))
  )

  it.live("greets everyone through the whole client stack", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* greetAll(["ada", "grace", "linus"]), ["hello ada", "hello grace", "hello linus"])
      assert.strictEqual((yield* Emulator.stats).calls.pipelineRequestsCreate, 3)
    }).pipe(Effect.provide(OverHttp)))

  it.live("sees a server error as a typed ServerError (a create is not retried: it may have been accepted)", () =>
    Effect.gen(function*() {
      yield* Emulator.setFaults({ errorRates: { "503": 1 } })
      const error = yield* Effect.flip(greetAll(["ada"]))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual(error._tag === "ServerError" ? error.status : 0, 503)
    }).pipe(Effect.provide(OverHttp)))
})
