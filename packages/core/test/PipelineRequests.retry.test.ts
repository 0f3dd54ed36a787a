import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import type { UbiOpsError } from "../src/UbiOpsError.js"
import { advanceUntilDone } from "./utils/advance.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"
const detail = { id, status: "completed", time_created: "2024-01-01T00:00:00Z" }
const batchItem = { id, status: "pending", time_created: "2024-01-01T00:00:00Z" }

/** Runs `use` in a fiber, moves the test clock `advance` forward step by step, and reports what happened. */
const run = <A>(
  answer: (request: Scripted.Seen, index: number) => Scripted.Reply,
  use: (service: Client.Service) => Effect.Effect<A, UbiOpsError>,
  options: { readonly client?: Partial<Client.ClientOptions>; readonly advance?: Duration.DurationInput } = {}
) => {
  const server = Scripted.make(answer)
  return Effect.gen(function*() {
    const service = yield* PipelineRequests
    const fiber = yield* Effect.fork(Effect.exit(use(service)))
    yield* advanceUntilDone(fiber, options.advance ?? Duration.minutes(5))
    const exit = yield* Fiber.join(fiber)
    return { exit, seen: server.seen }
  }).pipe(
    Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9", ...options.client })),
    Effect.provide(server.layer)
  )
}

const failureTag = <A>(exit: Exit.Exit<A, UbiOpsError>) =>
  Exit.isFailure(exit) ? Option.map(Cause.failureOption(exit.cause), (e) => e._tag) : Option.none()

/** The test-clock times at which the server saw each request. */
const clockTimes = () => {
  const times: Array<number> = []
  const record = Effect.flatMap(TestClock.currentTimeMillis, (now) => Effect.sync(() => times.push(now)))
  return { times, record }
}

describe("retries", () => {
  it.effect("a 429 with x-ratelimit-reset: 1 is retried after the reset and the 1 s margin, then succeeds", () =>
    Effect.gen(function*() {
      const seenAt: Array<number> = []
      const server = Scripted.make((_, index) => {
        seenAt.push(index)
        return index === 0
          ? { status: 429, json: { error: "Rate limit exceeded" }, headers: { "x-ratelimit-reset": "1" } }
          : { status: 200, json: detail }
      })
      const result = yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        const fiber = yield* Effect.fork(service.get(target, id))
        yield* TestClock.adjust(Duration.millis(1999))
        assert.strictEqual(server.seen.length, 1, "no retry before the server's reset and the margin")
        yield* TestClock.adjust(Duration.millis(1))
        yield* TestClock.adjust(Duration.millis(300))
        return yield* Fiber.join(fiber)
      }).pipe(
        Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9" })),
        Effect.provide(server.layer)
      )
      assert.strictEqual(result.id, id)
      assert.strictEqual(server.seen.length, 2)
    }))

  it.effect("Retry-After is honoured when there is no x-ratelimit-reset", () =>
    Effect.gen(function*() {
      const server = Scripted.make((_, index) =>
        index === 0 ? { status: 429, json: { error: "slow down" }, headers: { "retry-after": "3" } } : {
          status: 200,
          json: detail
        }
      )
      yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        const fiber = yield* Effect.fork(service.get(target, id))
        yield* TestClock.adjust(Duration.millis(3900))
        assert.strictEqual(server.seen.length, 1, "Retry-After: 3 and the 1 s margin")
        yield* TestClock.adjust(Duration.millis(100))
        yield* Fiber.join(fiber)
        assert.strictEqual(server.seen.length, 2)
      }).pipe(
        Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9" })),
        Effect.provide(server.layer)
      )
    }))

  it.effect("a 429's wait is queueing: it spends neither the call's deadline nor a retry, and holds the other calls", () =>
    Effect.gen(function*() {
      const sentAt: Array<number> = []
      let refused = false
      const server = Scripted.make(() => {
        if (!refused) {
          refused = true
          return { status: 429, json: { error: "Rate limit exceeded" }, headers: { "x-ratelimit-reset": "30" } }
        }
        return { status: 200, json: detail }
      })
      yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        const options = { callTimeout: "5 seconds", attemptTimeout: "2 seconds", retry: { maxRetries: 0 } } as const
        const first = yield* Effect.fork(service.get(target, id, options))
        yield* TestClock.adjust(Duration.seconds(10))
        const second = yield* Effect.fork(service.get(target, id, options))
        yield* TestClock.adjust(Duration.millis(20_999))
        sentAt.push(server.seen.length)
        yield* TestClock.adjust(Duration.millis(1))
        const results = yield* Fiber.join(Fiber.zip(first, second))
        assert.strictEqual(results[0].id, id)
        assert.strictEqual(results[1].id, id)
        sentAt.push(server.seen.length)
      }).pipe(
        Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9" })),
        Effect.provide(server.layer)
      )
      assert.deepStrictEqual(sentAt, [1, 3], "both held until 30 s and the 1 s margin had passed, then sent once each")
    }))

  it.effect("a rate-limit hint longer than the cap fails at once with RateLimited carrying the hint", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        () => ({ status: 429, json: { error: "come back later" }, headers: { "x-ratelimit-reset": "300" } }),
        (s) => s.get(target, id),
        { advance: Duration.seconds(1) }
      )
      assert.strictEqual(seen.length, 1)
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : undefined
      assert.deepInclude(error, { _tag: "RateLimited", retryAfterMillis: 300_000 })
    }))

  it.effect("idempotent calls retry 5xx, 408 and transport errors up to maxRetries, then fail", () =>
    Effect.gen(function*() {
      const replies: Array<Scripted.Reply> = [
        { status: 500, json: { error: "boom" } },
        { status: 503, json: { error: "busy" } },
        { status: 408, json: { error: "request timeout" } },
        { drop: true },
        { refuse: true },
        { status: 502, text: "<html>bad gateway</html>" }
      ]
      const { exit, seen } = yield* run((_, index) => replies[index], (s) => s.get(target, id))
      assert.strictEqual(seen.length, 6, "one attempt and five retries")
      assert.deepStrictEqual(failureTag(exit), Option.some("ServerError"))
    }))

  it.effect("idempotent calls succeed once a retry succeeds", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        (_, index) => index < 2 ? { status: 503, json: { error: "busy" } } : { status: 200, json: [detail] },
        (s) => s.collect(target, [id])
      )
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(seen.length, 3)
    }))

  it.effect("4xx errors other than 408 and 429 are not retried", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(() => ({ status: 404, json: { error: "nope" } }), (s) => s.get(target, id))
      assert.strictEqual(seen.length, 1)
      assert.deepStrictEqual(failureTag(exit), Option.some("NotFound"))
    }))

  it.effect("a create whose connection dropped after sending is not sent twice", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        (_, index) => index === 0 ? { drop: true } : { status: 201, json: [batchItem] },
        (s) => s.createBatch(target, [{ a: 1 }])
      )
      assert.strictEqual(seen.length, 1)
      assert.deepStrictEqual(failureTag(exit), Option.some("TransportError"))
    }))

  it.effect("a create that got a 5xx is not sent twice (the server may have stored it)", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(() => ({ status: 500, json: { error: "boom" } }), (s) => s.create(target, {}))
      assert.strictEqual(seen.length, 1)
      assert.deepStrictEqual(failureTag(exit), Option.some("ServerError"))
    }))

  it.effect("a create is retried when the server certainly did not accept it: refused, or 429", () =>
    Effect.gen(function*() {
      const replies: Array<Scripted.Reply> = [
        { refuse: true },
        { status: 429, json: { error: "limit" }, headers: { "x-ratelimit-reset": "1" } },
        { status: 201, json: [batchItem] }
      ]
      const { exit, seen } = yield* run((_, index) => replies[index], (s) => s.createBatch(target, [{ a: 1 }]))
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(seen.length, 3)
    }))

  it.effect("backs off exponentially with jitter, capped", () =>
    Effect.gen(function*() {
      const { record, times } = clockTimes()
      const server = Scripted.make(() => ({ status: 503, json: { error: "busy" } }))
      yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        const fiber = yield* Effect.fork(Effect.exit(service.get(target, id)))
        let seen = 0
        yield* advanceUntilDone(
          fiber,
          Duration.minutes(2),
          Effect.suspend(() => {
            if (server.seen.length === seen) return Effect.void
            seen = server.seen.length
            return record
          })
        )
        yield* Fiber.join(fiber)
      }).pipe(
        Effect.provide(
          Client.layer({
            token: Redacted.make("t"),
            host: "http://127.0.0.1:9",
            retry: { maxRetries: 6, maxDelay: Duration.seconds(5) },
            callTimeout: Duration.minutes(5)
          })
        ),
        Effect.provide(server.layer)
      )
      const gaps = times.slice(1).map((time, index) => time - times[index])
      const nominal = [250, 500, 1000, 2000, 4000, 5000]
      assert.strictEqual(gaps.length, nominal.length)
      gaps.forEach((gap, index) => {
        const expected = Math.min(nominal[index], 5000)
        assert.isAtLeast(gap, Math.min(expected * 0.8, 5000) - 30, `gap ${index}: ${gap}`)
        assert.isAtMost(gap, Math.min(expected * 1.2, 5000) + 30, `gap ${index}: ${gap}`)
      })
    }))

  it.effect("the whole call has a deadline", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(() => ({ status: 503, json: { error: "busy" } }), (s) => s.get(target, id), {
        client: {
          retry: { maxRetries: 100, baseDelay: Duration.seconds(1), factor: 1 },
          callTimeout: Duration.seconds(10)
        },
        advance: Duration.seconds(30)
      })
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : undefined
      assert.deepInclude(error, { _tag: "Timeout", scope: "call", afterMillis: 10_000 })
    }))

  it.effect("an attempt that hangs times out and is retried when the call is idempotent", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        (_, index) => index === 0 ? { hang: true } : { status: 200, json: detail },
        (s) => s.get(target, id, { attemptTimeout: Duration.seconds(2) })
      )
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(seen.length, 2)
    }))

  it.effect("a create that hangs times out once, is not re-sent, and says it may have reached the server", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        () => ({ hang: true }),
        (s) => s.createBatch(target, [{ a: 1 }], { attemptTimeout: Duration.seconds(2) })
      )
      assert.strictEqual(seen.length, 1)
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : undefined
      assert.deepInclude(error, { _tag: "Timeout", scope: "attempt", afterMillis: 2000, mayHaveReachedServer: true })
    }))

  it.effect("a direct request's deadline follows its pipeline timeout", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(() => ({ hang: true }), (s) => s.create(target, { a: 1 }, { timeout: 100 }), {
        advance: Duration.minutes(10)
      })
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : undefined
      assert.deepInclude(error, { _tag: "Timeout", scope: "attempt", afterMillis: 130_000 })
    }))

  it.effect("per-call options override the client's policy", () =>
    Effect.gen(function*() {
      const { seen } = yield* run(
        () => ({ status: 503, json: { error: "busy" } }),
        (s) => s.get(target, id, { retry: { maxRetries: 1 } })
      )
      assert.strictEqual(seen.length, 2)
    }))

  it.effect("the retry budget is shared: once spent, failures surface without retrying", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        () => ({ status: 503, json: { error: "outage" } }),
        (s) => Effect.all(Array.from({ length: 10 }, () => Effect.exit(s.get(target, id))), { concurrency: 10 }),
        { client: { retryBudget: { capacity: 20 } } }
      )
      assert.isTrue(Exit.isSuccess(exit))
      // 10 first attempts, and 20 / 5 = 4 retries in all, whatever the number of fibers.
      assert.strictEqual(seen.length, 14)
    }))

  it.effect("the streaming call follows the same policy: a refused connection is retried, within the budget", () =>
    Effect.gen(function*() {
      const final = { id, status: "completed", time_created: "2024-01-01T00:00:00Z", result: { a: 1 } }
      const answer = (_: Scripted.Seen, index: number): Scripted.Reply =>
        index === 0
          ? { refuse: true }
          : {
            status: 200,
            text: `data:hi\n\n${JSON.stringify(final)}\n`,
            headers: { "content-type": "text/event-stream" }
          }
      const stream = (s: Client.Service) => Stream.runCollect(s.createStreaming(target, { a: 1 }))
      const retried = yield* run(answer, stream)
      assert.isTrue(Exit.isSuccess(retried.exit))
      assert.strictEqual(retried.seen.length, 2)
      const spent = yield* run(answer, stream, { client: { retryBudget: { capacity: 1 } } })
      assert.deepStrictEqual(failureTag(spent.exit), Option.some("TransportError"))
      assert.strictEqual(spent.seen.length, 1)
    }))

  it.effect("interruption is observed during a backoff sleep", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 503, json: { error: "busy" } }))
      yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        const fiber = yield* Effect.fork(service.get(target, id, { retry: { baseDelay: Duration.hours(1) } }))
        yield* TestClock.adjust(Duration.millis(1))
        assert.strictEqual(server.seen.length, 1)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
      }).pipe(
        Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9" })),
        Effect.provide(server.layer)
      )
    }))
})

describe("rate governor", () => {
  it.effect("holds calls when the server's window is spent, until it resets", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({
        status: 200,
        json: detail,
        headers: { "x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "5" }
      }))
      yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        yield* service.get(target, id)
        const fiber = yield* Effect.fork(service.get(target, id))
        yield* TestClock.adjust(Duration.millis(4900))
        assert.strictEqual(server.seen.length, 1, "held while the window is spent")
        yield* TestClock.adjust(Duration.millis(200))
        yield* Fiber.join(fiber)
        assert.strictEqual(server.seen.length, 2)
      }).pipe(
        Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9" })),
        Effect.provide(server.layer)
      )
    }))

  it.effect("counts calls in flight against what is left", () =>
    Effect.gen(function*() {
      let remaining = 3
      const server = Scripted.make(() => ({
        status: 200,
        json: detail,
        headers: {
          "x-ratelimit-limit": "3",
          "x-ratelimit-remaining": String(Math.max(0, --remaining)),
          "x-ratelimit-reset": "60"
        }
      }))
      yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        yield* service.get(target, id)
        const fiber = yield* Effect.fork(
          Effect.all(Array.from({ length: 5 }, () => service.get(target, id)), { concurrency: 5 })
        )
        yield* TestClock.adjust(Duration.seconds(1))
        assert.strictEqual(server.seen.length, 3, "the window allowed 3 calls")
        yield* TestClock.adjust(Duration.seconds(60))
        assert.isAbove(server.seen.length, 3, "the window reset")
        yield* TestClock.adjust(Duration.seconds(120))
        yield* Fiber.join(fiber)
        assert.strictEqual(server.seen.length, 6)
      }).pipe(
        Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9" })),
        Effect.provide(server.layer)
      )
    }))
})
