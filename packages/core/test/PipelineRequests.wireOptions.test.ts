/**
 * Issue 14, item 5: the batch timeout's upper bound, `pipelineTimeout` on a direct create, the escape hatch for
 * client-side validation, and a response's status and headers (`withHttpInfo`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"
const created = {
  id,
  pipeline: "echo",
  version: "v1",
  status: "completed",
  success: true,
  error_message: null,
  result: { a: 1 },
  pipeline_timeout: 20,
  deployment_timeout: null
}
const pending = { id, pipeline: "echo", version: "v1", status: "pending", time_created: "2026-12-04T18:00:00Z" }

const run = <A, E>(
  server: ReturnType<typeof Scripted.make>,
  use: (service: Client.Service) => Effect.Effect<A, E>,
  client: Partial<Client.ClientOptions> = {}
) =>
  Effect.flatMap(PipelineRequests, use).pipe(
    Effect.provide(Client.layer({ token: Redacted.make("tok-wire-51d0"), host: "http://127.0.0.1:9", ...client })),
    Effect.provide(server.layer)
  )

const query = (seen: Scripted.Seen) => Object.fromEntries(seen.url.searchParams)

describe("batch timeout bound (UbiOps' current documentation: 72 hours)", () => {
  it.effect("259200 s is sent, 259201 is refused unsent unless client-side validation is off", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 201, json: [pending] }))
      yield* run(server, (s) => s.createBatch(target, [{}], { timeout: 259200 }))
      assert.strictEqual(query(server.seen[0]).timeout, "259200")

      const refused = yield* Effect.flip(run(server, (s) => s.createBatch(target, [{}], { timeout: 259201 })))
      assert.strictEqual(refused._tag, "InvalidRequest")
      assert.match(refused.message, /from 10 to 259200 seconds/)
      assert.strictEqual(server.seen.length, 1)

      yield* run(server, (s) => s.createBatch(target, [{}], { timeout: 345600 }), { clientSideValidation: false })
      assert.strictEqual(query(server.seen[1]).timeout, "345600")
    }))
})

describe("pipelineTimeout on a direct create", () => {
  it.effect("is sent as pipeline_timeout, and the call's deadline follows it", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ hang: true }))
      const fiber = yield* Effect.fork(
        Effect.flip(run(server, (s) => s.create(target, { a: 1 }, { pipelineTimeout: 20 })))
      )
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(query(server.seen[0]), { pipeline_timeout: "20" })
      // the deadline of the attempt: 20 s of pipeline timeout and the 30 s margin, not the default 3600 s
      yield* TestClock.adjust("49 seconds")
      const error = yield* Fiber.join(fiber)
      assert.deepInclude(error, { _tag: "Timeout", scope: "attempt", afterMillis: 50_000 })
    }))

  it.effect("is checked like timeout (10 to 7200), and `timeout` wins for the deadline", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 201, json: created }))
      const refused = yield* Effect.flip(run(server, (s) => s.create(target, {}, { pipelineTimeout: 7201 })))
      assert.strictEqual(refused._tag, "InvalidRequest")
      assert.strictEqual(server.seen.length, 0)
      const response = yield* run(server, (s) => s.create(target, {}, { timeout: 100, pipelineTimeout: 50 }))
      assert.strictEqual(response.status, "completed")
      assert.deepStrictEqual(query(server.seen[0]), { timeout: "100", pipeline_timeout: "50" })
    }))
})

describe("clientSideValidation: false", () => {
  const unchecked = { clientSideValidation: false, retry: { maxRetries: 0 } } as const

  it.effect("sends what the reference's limits would refuse, and the server's answer is the error", () =>
    Effect.gen(function*() {
      const server = Scripted.make((seen) =>
        seen.method === "GET"
          ? { status: 400, json: { error: "server says: limit too large" } }
          : { status: 404, json: { error: "server says: no such requests" } }
      )
      const list = yield* Effect.flip(
        run(server, (s) => s.list(target, { limit: 51, status: "done" as never }), unchecked)
      )
      assert.deepInclude(list, { _tag: "BadRequest", status: 400 })
      assert.include(list.message, "server says: limit too large")
      assert.deepStrictEqual(query(server.seen[0]), { limit: "51", status: "done" })

      const ids = Array.from({ length: 251 }, (_, i) => `id.${i}`)
      const collect = yield* Effect.flip(run(server, (s) => s.collect(target, ids), unchecked))
      assert.strictEqual(collect._tag, "NotFound")
      assert.deepStrictEqual(JSON.parse(server.seen[1].body), ids)

      const cancel = yield* Effect.flip(run(server, (s) => s.cancel(target, "not a uuid!"), unchecked))
      assert.strictEqual(cancel._tag, "NotFound")
      assert.strictEqual(server.seen[2].url.pathname, "/v2.1/projects/demo/pipelines/echo/requests/not%20a%20uuid%21")
    }))

  it.effect("still refuses, unsent, a path segment that would change the URL's shape", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 200, json: {} }))
      for (const requestId of ["", "..", "a\nb"]) {
        const error = yield* Effect.flip(run(server, (s) => s.delete(target, requestId), unchecked))
        assert.strictEqual(error._tag, "InvalidRequest")
      }
      assert.strictEqual(server.seen.length, 0)
    }))

  it.effect("by default, the same calls are refused before anything is sent", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 200, json: [] }))
      const error = yield* Effect.flip(run(server, (s) => s.list(target, { limit: 51 })))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(server.seen.length, 0)
    }))
})

describe("withHttpInfo", () => {
  it.effect("answers with the value, the status and the headers of the response", () =>
    Effect.gen(function*() {
      const headers = { "x-ratelimit-remaining": "299", "x-request-note": "seen" }
      const server = Scripted.make((seen) =>
        seen.url.pathname.endsWith("/batch")
          ? { status: 201, json: [pending], headers }
          : seen.method === "PATCH"
          ? { status: 200, json: {}, headers }
          : { status: 201, json: created, headers }
      )
      const direct = yield* run(server, (s) => s.withHttpInfo.create(target, { a: 1 }))
      assert.strictEqual(direct.status, 201)
      assert.strictEqual(direct.value.id, id)
      assert.strictEqual(direct.headers["x-ratelimit-remaining"], "299")

      const batch = yield* run(server, (s) => s.withHttpInfo.createBatch(target, [{ a: 1 }]))
      assert.deepStrictEqual([batch.status, batch.value.map((r) => r.id)], [201, [id]])

      const cancel = yield* run(server, (s) => s.withHttpInfo.cancel(target, id))
      assert.deepStrictEqual([cancel.status, cancel.value, cancel.headers["x-request-note"]], [200, undefined, "seen"])

      const nothing = yield* run(server, (s) => s.withHttpInfo.collect(target, []))
      assert.deepStrictEqual([nothing.status, nothing.value], [0, []])
      assert.strictEqual(server.seen.length, 3)
    }))

  it.effect("fails as the plain method does", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 404, json: { error: "no such request" } }))
      const error = yield* Effect.flip(run(server, (s) => s.withHttpInfo.get(target, id)))
      assert.deepInclude(error, { _tag: "NotFound", status: 404 })
    }))
})
