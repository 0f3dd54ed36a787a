/**
 * The progress line says what the run waits for, and its clock runs while the counts stand still.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Progress from "@ubiops-effect/stream/Progress"
import { Effect, Fiber, Redacted, TestClock } from "effect"
import * as ProgressLine from "../src/ProgressLine.js"
import * as Waiting from "../src/Waiting.js"

const refused = HttpClient.make((request) =>
  Effect.fail(
    new HttpClientError.RequestError({
      request,
      reason: "Transport",
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })
    })
  )
)

const answering = (status: number, headers: Record<string, string>) =>
  HttpClient.make((request) =>
    Effect.succeed(HttpClientResponse.fromWeb(request, new Response("{}", { status, headers })))
  )

const get = HttpClientRequest.get("http://127.0.0.1:1/v2.1/status")

describe("ProgressLine", () => {
  it.effect("the clock runs from the start of the job, whatever the counts", () =>
    Effect.sync(() => {
      const line = ProgressLine.format({ ...Progress.initial, total: 10 }, 75_000, { startedAt: 0 })
      assert.include(line, "0/s 01:15")
    }))

  it.effect("says that it retries a refused connection, in the client's words, and how often", () =>
    Effect.gen(function*() {
      const waiting = Waiting.make()
      const service = yield* PipelineRequests.make({
        token: Redacted.make("t"),
        host: "http://127.0.0.1:1/v2.1",
        transformClient: waiting.observeClient,
        onRetry: waiting.onRetry
      }).pipe(Effect.provideService(HttpClient.HttpClient, refused))
      const describe = () => waiting.describe(Date.now())
      const call = yield* Effect.fork(service.get({ project: "demo", pipeline: "echo" }, "id"))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(describe(), "retrying: could not connect (ECONNREFUSED)")
      yield* TestClock.adjust("5 seconds")
      assert.match(describe()!, /^retrying: could not connect \(ECONNREFUSED\) \([2-9] tries\)$/)
      const line = ProgressLine.format(Progress.initial, Date.now(), { startedAt: 0, waiting: waiting.describe })
      assert.include(line, "| retrying: could not connect (ECONNREFUSED)")
      yield* Fiber.interrupt(call)
    }))

  it.effect("says that it waits for the rate-limit window, and how long", () =>
    Effect.gen(function*() {
      const waiting = Waiting.make()
      yield* waiting.observeClient(answering(429, { "x-ratelimit-reset": "30" })).execute(get)
      assert.match(waiting.describe(Date.now())!, /waiting for the rate-limit window \((29|30) s\)/)
      assert.isUndefined(waiting.describe(Date.now() + 31_000), "nothing once the window reopened")

      const spent = Waiting.make()
      yield* spent.observeClient(answering(200, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "12" })).execute(
        get
      )
      assert.match(spent.describe(Date.now())!, /waiting for the rate-limit window/)
    }))

  it.effect("says nothing while calls succeed", () =>
    Effect.gen(function*() {
      const waiting = Waiting.make()
      yield* waiting.observeClient(answering(200, { "x-ratelimit-remaining": "250" })).execute(get)
      assert.isUndefined(waiting.describe(Date.now()))
    }))
})
