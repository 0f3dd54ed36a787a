/**
 * Bursts over the rate limit, under `TestClock`, through the whole client stack (the core client over the
 * in-process `HttpClient`): a 429's ordered wait is queueing, shared by every call of the client, so a burst
 * completes in as many windows as it needs, without `RateLimited` or `Timeout`, when the wait fits
 * `maxRateLimitWait`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Client from "@ubiops-effect/core/PipelineRequests"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as ConfigFile from "../src/ConfigFile.js"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorHttpClient from "../src/EmulatorHttpClient.js"
import * as Faults from "../src/Faults.js"

const token = "burst-token"
const echo = { project: "demo", pipeline: "echo" }
const window = 60_000

const stack = (options: Partial<Client.ClientOptions> = {}, faults: Emulator.EmulatorOptions["faults"] = {}) =>
  Client.layer({ token: Redacted.make(token), host: EmulatorHttpClient.baseUrl, ...options }).pipe(
    Layer.provide(EmulatorHttpClient.layer),
    Layer.provideMerge(Emulator.layer({ token, faults }))
  )

/** Lets real I/O (a `Response` body read) settle. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Moves the test clock from one scheduled sleep to the next until `fiber` is done or `limit` has passed. */
const advanceUntilDone = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, limit: Duration.DurationInput) =>
  Effect.gen(function*() {
    const end = (yield* TestClock.currentTimeMillis) + Duration.toMillis(limit)
    let idle = 0
    while (fiber.unsafePoll() === null) {
      yield* settle
      if (fiber.unsafePoll() !== null) break
      const now = yield* TestClock.currentTimeMillis
      if (now >= end) break
      let next = Number.POSITIVE_INFINITY
      for (const time of yield* TestClock.sleeps()) if (time > now && time < next) next = time
      if (next === Number.POSITIVE_INFINITY) {
        if (++idle < 20) continue
        next = end
      }
      idle = 0
      yield* TestClock.setTime(Math.min(next, end))
    }
  })

/** Runs `calls` concurrently (all at once) and reports each outcome and how long the burst took on the clock. */
const burst = <A, E>(calls: ReadonlyArray<Effect.Effect<A, E>>, limit: Duration.DurationInput = "10 minutes") =>
  Effect.gen(function*() {
    const start = yield* TestClock.currentTimeMillis
    const fiber = yield* Effect.fork(
      Effect.all(calls.map((call) => Effect.either(call)), { concurrency: "unbounded" })
    )
    yield* advanceUntilDone(fiber, limit)
    const outcomes = yield* Fiber.join(fiber)
    const took = (yield* TestClock.currentTimeMillis) - start
    const failures = outcomes.flatMap((outcome) => Either.isLeft(outcome) ? [outcome.left] : [])
    return { outcomes, failures, took }
  })

describe("a burst over the rate limit (5 calls a minute)", () => {
  it.effect("12 concurrent lists all complete, without RateLimited or Timeout, within three windows", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { failures, outcomes, took } = yield* burst(Array.from({ length: 12 }, () => client.list(echo)))
      assert.deepStrictEqual(failures.map((error) => (error as { _tag: string })._tag), [])
      assert.strictEqual(outcomes.length, 12)
      // 5 in the first window, 5 after its reset and the 1 s margin, 2 in the third window
      // (the second window opens at 61 s: the 429s' 60 s and the margin; the third 60 s later)
      assert.isAtLeast(took, 2 * window + 1_000)
      assert.isAtMost(took, 2 * window + 2_000)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.calls.pipelineRequestsList, 12 + 7, "the 7 refused at first, then each once more")
      assert.strictEqual(stats.responses["429"], 7, "only the first wave meets a 429: then the client waits")
    }).pipe(Effect.provide(stack({}, { rateLimitPerMinute: 5 }))))

  it.effect("a wait longer than maxRateLimitWait fails at once with RateLimited carrying the wait", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { failures, outcomes, took } = yield* burst(
        Array.from({ length: 7 }, () => client.list(echo, { retry: { maxRateLimitWait: "30 seconds" } }))
      )
      assert.strictEqual(outcomes.length - failures.length, 5)
      assert.strictEqual(failures.length, 2)
      for (const error of failures) {
        assert.strictEqual((error as { _tag: string })._tag, "RateLimited")
        assert.strictEqual((error as { retryAfterMillis?: number }).retryAfterMillis, window)
      }
      assert.isBelow(took, 1_000, "no waiting")
    }).pipe(Effect.provide(stack({}, { rateLimitPerMinute: 5 }))))

  it.effect("the streaming call queues the same way", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { failures, outcomes, took } = yield* burst(
        Array.from({ length: 7 }, (_, n) => Stream.runCollect(client.createStreaming(echo, { n })))
      )
      assert.deepStrictEqual(failures.map((error) => (error as { _tag: string })._tag), [])
      for (const outcome of outcomes) {
        const events = Either.isRight(outcome) ? Chunk.toArray(outcome.right) : []
        assert.strictEqual(events[events.length - 1]?._tag, "Final")
      }
      assert.isAtLeast(took, window)
      assert.isAtMost(took, window + 5_000)
    }).pipe(Effect.provide(stack({}, { rateLimitPerMinute: 5 }))))

  it.effect("creates refused with 429 wait and are sent again: each input is created exactly once", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { failures, outcomes } = yield* burst(
        Array.from({ length: 8 }, (_, n) => client.createBatch(echo, [{ n }]))
      )
      assert.deepStrictEqual(failures.map((error) => (error as { _tag: string })._tag), [])
      const ids = outcomes.flatMap((outcome) => Either.isRight(outcome) ? outcome.right.map((item) => item.id) : [])
      assert.strictEqual(new Set(ids).size, 8)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 8 + 3, "3 refused with 429, then sent again")
      assert.strictEqual(stats.responses["429"], 3)
      const { failures: notListed, outcomes: listed } = yield* burst([client.list(echo, { limit: 50 })])
      assert.deepStrictEqual(notListed, [])
      assert.strictEqual(Either.isRight(listed[0]) ? listed[0].right.length : 0, 8, "each input created once")
    }).pipe(Effect.provide(stack({}, { rateLimitPerMinute: 5 }))))

  it.effect("the deadline does not run while the call waits: a 2 s call timeout survives a 61 s wait", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { failures, outcomes } = yield* burst(
        Array.from({ length: 6 }, () => client.list(echo, { callTimeout: "2 seconds", attemptTimeout: "1 second" }))
      )
      assert.deepStrictEqual(failures.map((error) => (error as { _tag: string })._tag), [])
      assert.strictEqual(outcomes.length, 6)
    }).pipe(Effect.provide(stack({}, { rateLimitPerMinute: 5 }))))
})

describe("the ubiops fault profile", () => {
  it("is the real service's limit: 300 calls a minute, in one window (and its 2 s visibility delay)", () => {
    assert.deepStrictEqual(Faults.profiles.ubiops, { rateLimitPerMinute: 300, visibilityDelayMs: 2000 })
    assert.strictEqual(Faults.make("ubiops").visibilityDelayMillis(), 2000)
    const faults = Faults.make("ubiops")
    assert.deepStrictEqual(faults.settings(), { profile: "ubiops" })
    assert.deepStrictEqual(faults.window(0), { limit: 300, remaining: 300, resetSeconds: 60 })
    for (let n = 0; n < 300; n++) assert.isFalse(faults.decide(n, false).rateLimited)
    assert.isTrue(faults.decide(1_000, false).rateLimited)
    assert.isFalse(faults.decide(60_000, false).rateLimited, "the next window")
  })

  it("settings given with the profile apply over it", () => {
    assert.deepStrictEqual(Faults.resolve({ profile: "ubiops", rateLimitPerMinute: 10, seed: 1 }), {
      rateLimitPerMinute: 10,
      visibilityDelayMs: 2000,
      seed: 1
    })
    assert.deepStrictEqual(Faults.resolve("ubiops"), { rateLimitPerMinute: 300, visibilityDelayMs: 2000 })
    assert.deepStrictEqual(Faults.resolve({ seed: 1 }), { seed: 1 })
  })

  it("a config file sets it by name or in fault settings; an unknown profile is refused", () => {
    assert.deepStrictEqual(
      ConfigFile.parseFile({ projects: [], faults: "ubiops" }),
      Either.right({
        projects: [],
        faults: "ubiops"
      })
    )
    const settings = ConfigFile.parseFile({ projects: [], faults: { profile: "ubiops", seed: 3 } })
    assert.deepStrictEqual(Either.getOrUndefined(settings)?.faults, { profile: "ubiops", seed: 3 })
    assert.isTrue(Either.isLeft(ConfigFile.parseFile({ projects: [], faults: "azure" })))
    assert.deepStrictEqual(ConfigFile.parse({ projects: [], faults: "ubiops" }), Either.right([]))
  })

  it.effect("310 concurrent calls complete under it: 300 in the first window, 10 after it", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { failures, took } = yield* burst(Array.from({ length: 310 }, () => client.list(echo, { limit: 1 })))
      assert.deepStrictEqual(failures, [])
      assert.isAtLeast(took, window)
      assert.isAtMost(took, window + 5_000)
      assert.strictEqual((yield* Emulator.stats).responses["429"], 10)
    }).pipe(Effect.provide(stack({}, "ubiops"))))
})
