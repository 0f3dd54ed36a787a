/**
 * Faults and statistics over real HTTP, each test on a server of its own.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Command from "../src/Command.js"
import type { EmulatorOptions } from "../src/Emulator.js"
import * as EmulatorServer from "../src/EmulatorServer.js"
import { type Call, type Reply, send, sendExpectingNoResponse } from "./utils/http.js"

const token = "faults-test-token"

const withServer = <A, E>(
  options: EmulatorOptions,
  use: (
    call: (path: string, call?: Call) => Effect.Effect<Reply>,
    server: EmulatorServer.Service
  ) => Effect.Effect<A, E>
) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(EmulatorServer.layerWithEmulator({ token, port: 0, ...options })),
      (context) => {
        const server = context.unsafeMap.get(EmulatorServer.EmulatorServer.key) as EmulatorServer.Service
        return use(send(server.origin, token), server)
      }
    )
  )

const batch = "/v2.1/projects/demo/pipelines/echo/requests/batch"
const setFaults = (call: (path: string, call?: Call) => Effect.Effect<Reply>, faults: unknown) =>
  call("/_emulator/faults", { body: JSON.stringify(faults), token: null })

describe("HTTP faults and stats", () => {
  it.live("a rate limit per minute gives 429 with x-ratelimit-* headers; {} turns it off", () =>
    withServer({}, (call) =>
      Effect.gen(function*() {
        const set = yield* setFaults(call, { rateLimitPerMinute: 3 })
        assert.strictEqual(set.status, 200)
        assert.deepStrictEqual(set.json, { rateLimitPerMinute: 3 })
        const first = yield* call("/v2.1/status")
        assert.strictEqual(first.headers.get("x-ratelimit-limit"), "3")
        assert.strictEqual(first.headers.get("x-ratelimit-remaining"), "2")
        yield* call("/v2.1/status")
        yield* call("/v2.1/status")
        const limited = yield* call("/v2.1/status")
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers.get("content-type"), "application/json")
        assert.match(limited.json.error, /Rate limit/)
        assert.strictEqual(limited.headers.get("x-ratelimit-remaining"), "0")
        const reset = Number(limited.headers.get("x-ratelimit-reset"))
        assert.isTrue(Number.isInteger(reset) && reset >= 1 && reset <= 60, String(reset))
        yield* setFaults(call, {})
        const free = yield* call("/v2.1/status")
        assert.strictEqual(free.status, 200)
        assert.strictEqual(free.headers.get("x-ratelimit-limit"), "300")
        assert.strictEqual(free.headers.get("x-ratelimit-remaining"), "300")
        const stats = (yield* call("/_emulator/stats", { token: null })).json
        assert.strictEqual(stats.responses["429"], 1)
        assert.strictEqual(stats.calls.serviceStatus, 5)
      })))

  it.live("an error rate answers with that status and an error body, without performing the call", () =>
    withServer({}, (call) =>
      Effect.gen(function*() {
        yield* setFaults(call, { errorRates: { "503": 1 } })
        const reply = yield* call(batch, { body: JSON.stringify([{ a: 1 }]) })
        assert.strictEqual(reply.status, 503)
        assert.strictEqual(reply.headers.get("content-type"), "application/json")
        assert.strictEqual(typeof reply.json.error, "string")
        const stats = (yield* call("/_emulator/stats", { token: null })).json
        assert.strictEqual(stats.created.total, 0)
        assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 1)
        assert.strictEqual(stats.responses["503"], 1)
      })))

  it.live("an emulated 429 is a momentary refusal: remaining 0, reset in 1 s; a spent window keeps its own reset", () =>
    withServer({}, (call) =>
      Effect.gen(function*() {
        yield* setFaults(call, { errorRates: { "429": 1 } })
        const refused = yield* call("/v2.1/status")
        assert.strictEqual(refused.status, 429)
        assert.strictEqual(typeof refused.json.error, "string")
        assert.strictEqual(refused.headers.get("x-ratelimit-remaining"), "0")
        assert.strictEqual(refused.headers.get("x-ratelimit-reset"), "1")
        assert.strictEqual(refused.headers.get("x-ratelimit-limit"), "300")
        yield* setFaults(call, { rateLimitPerMinute: 1 })
        assert.strictEqual((yield* call("/v2.1/status")).status, 200)
        const spent = yield* call("/v2.1/status")
        assert.strictEqual(spent.status, 429)
        assert.strictEqual(spent.headers.get("x-ratelimit-remaining"), "0")
        assert.isAbove(Number(spent.headers.get("x-ratelimit-reset")), 50)
      })))

  it.live("latency delays every call by an amount in the range", () =>
    withServer({ faults: { latencyMs: [150, 200] } }, (call) =>
      Effect.gen(function*() {
        const start = Date.now()
        const reply = yield* call("/v2.1/status")
        assert.strictEqual(reply.status, 200)
        assert.isAtLeast(Date.now() - start, 145)
      })))

  it.live("dropBeforeAccept: the connection closes with no response and nothing is stored", () =>
    withServer({ faults: { dropBeforeAccept: 1 } }, (call, server) =>
      Effect.gen(function*() {
        const outcome = yield* sendExpectingNoResponse(server.origin, token)(
          batch,
          JSON.stringify([{ a: 1 }, { a: 2 }])
        )
        assert.isFalse(outcome.answered)
        const stats = (yield* call("/_emulator/stats", { token: null })).json
        assert.strictEqual(stats.created.total, 0)
        assert.deepStrictEqual(stats.dropped, { beforeAccept: 1, afterAccept: 0 })
        assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 1)
        assert.strictEqual(stats.responses["201"], undefined)
        const direct = yield* sendExpectingNoResponse(server.origin, token)(
          "/v2.1/projects/demo/pipelines/echo/requests",
          "{}"
        )
        assert.isFalse(direct.answered)
      })))

  it.live("dropAfterAccept: the connection closes with no response, but the requests were stored", () =>
    withServer({ faults: { dropAfterAccept: 1 } }, (call, server) =>
      Effect.gen(function*() {
        const outcome = yield* sendExpectingNoResponse(server.origin, token)(
          batch,
          JSON.stringify([{ a: 1 }, { a: 2 }])
        )
        assert.isFalse(outcome.answered)
        yield* Effect.sleep(20)
        const stats = (yield* call("/_emulator/stats", { token: null })).json
        assert.strictEqual(stats.created.total, 2)
        assert.strictEqual(stats.statuses.completed, 2)
        assert.deepStrictEqual(stats.dropped, { beforeAccept: 0, afterAccept: 1 })
        const listed = yield* call("/v2.1/projects/demo/pipelines/echo/requests")
        assert.strictEqual(listed.json.length, 2)
      })))

  it.live("faults that do not make sense are refused with 400", () =>
    withServer({}, (call) =>
      Effect.gen(function*() {
        for (
          const faults of [{ errorRates: { "200": 0.5 } }, { errorRates: { "500": 0.7, "503": 0.6 } }, {
            latencyMs: [9, 1]
          }]
        ) {
          const reply = yield* setFaults(call, faults)
          assert.strictEqual(reply.status, 400, JSON.stringify(faults))
          assert.strictEqual(typeof reply.json.error, "string")
        }
        assert.deepStrictEqual((yield* call("/_emulator/faults", { token: null })).json, {})
      })))

  it.live("stats count creates, calls per operation, responses per status and requests per status", () =>
    withServer({}, (call) =>
      Effect.gen(function*() {
        yield* call(batch, { body: JSON.stringify(Array.from({ length: 250 }, (_, n) => ({ n }))) })
        yield* call("/v2.1/projects/demo/pipelines/echo-plain/requests", {
          body: "x",
          headers: { "content-type": "text/plain" }
        })
        yield* call("/v2.1/projects/demo/pipelines/sleep/requests/batch", { body: "[{\"seconds\": 600}]" })
        yield* call("/v2.1/projects/demo/pipelines/nope/requests")
        yield* Effect.sleep(20)
        const stats = (yield* call("/_emulator/stats", { token: null })).json
        assert.deepStrictEqual(stats.created, { total: 252, byPipeline: { echo: 250, "echo-plain": 1, sleep: 1 } })
        assert.deepStrictEqual(stats.calls, {
          batchPipelineRequestsCreate: 2,
          pipelineRequestsCreate: 1,
          pipelineRequestsList: 1
        })
        assert.deepStrictEqual(stats.responses, { "201": 3, "404": 1 })
        assert.deepStrictEqual(stats.statuses, { pending: 0, processing: 1, completed: 251, failed: 0, cancelled: 0 })
      })))

  it.live("faults given as command flags reach the server", () =>
    Effect.gen(function*() {
      const args = Command.parse([
        "--port",
        "0",
        "--rate-limit",
        "1",
        "--seed",
        "7",
        "--error-rate",
        "500=0",
        "--latency",
        "0,1"
      ])
      assert.isTrue(Either.isRight(args))
      if (Either.isLeft(args)) return
      assert.deepStrictEqual(args.right.faults, {
        seed: 7,
        rateLimitPerMinute: 1,
        errorRates: { "500": 0 },
        latencyMs: [0, 1]
      })
      yield* withServer({ faults: args.right.faults }, (call) =>
        Effect.gen(function*() {
          assert.strictEqual((yield* call("/v2.1/status")).status, 200)
          assert.strictEqual((yield* call("/v2.1/status")).status, 429)
        }))
    }))
})
