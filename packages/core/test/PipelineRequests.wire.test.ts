import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const token = "secret-token-123"
const target = { project: "demo", pipeline: "echo" }
const versioned = { ...target, version: "v 1/x" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"

const detail = (status = "completed") => ({
  id,
  pipeline: "echo",
  version: "v1",
  status,
  time_created: "2024-01-01T00:00:00.000+00:00",
  request_data: { a: 1 },
  result: { a: 1 }
})

const run = <A, E>(
  answer: (request: Scripted.Seen, index: number) => Scripted.Reply,
  use: (service: Client.Service) => Effect.Effect<A, E>,
  options: Partial<Client.ClientOptions> = {}
) => {
  const server = Scripted.make(answer)
  return Effect.gen(function*() {
    const service = yield* PipelineRequests
    const exit = yield* Effect.exit(use(service))
    return { exit, seen: server.seen }
  }).pipe(
    Effect.provide(Client.layer({ token: Redacted.make(token), host: "http://127.0.0.1:9/v2.1", ...options })),
    Effect.provide(server.layer)
  )
}

describe("PipelineRequests on the wire", () => {
  it.effect("sends a structured direct request as the official client does", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(
        () => ({ status: 201, json: { id, status: "completed", result: { a: 1 } } }),
        (s) => s.create(target, { a: 1 }, { timeout: 100, priority: 0 })
      )
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(seen.length, 1)
      const [request] = seen
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url.pathname, "/v2.1/projects/demo/pipelines/echo/requests")
      assert.strictEqual(request.url.search, "?timeout=100&priority=0")
      assert.strictEqual(request.headers.authorization, `Token ${token}`)
      assert.match(request.headers["user-agent"], /^ubiops-effect\/\d+\.\d+\.\d+$/)
      assert.strictEqual(request.contentType, "application/json")
      assert.deepStrictEqual(JSON.parse(request.body), { a: 1 })
    }))

  it.effect("sends plain data as text/plain, and percent-encodes every path segment", () =>
    Effect.gen(function*() {
      const { seen } = yield* run(
        () => ({ status: 201, json: { id, status: "completed", result: "x" } }),
        (s) => s.create({ project: "../x", pipeline: "a/b", version: "v 1/x" }, "héllo")
      )
      assert.strictEqual(seen[0].url.pathname, "/v2.1/projects/..%2Fx/pipelines/a%2Fb/versions/v%201%2Fx/requests")
      assert.strictEqual(seen[0].contentType, "text/plain")
      assert.strictEqual(seen[0].body, "héllo")
    }))

  it.effect("uses the versioned endpoint when a version is given, the default one otherwise", () =>
    Effect.gen(function*() {
      const { seen } = yield* run(
        () => ({ status: 200, json: detail() }),
        (s) => Effect.zip(s.get(target, id, { metadataOnly: true }), s.get(versioned, id))
      )
      assert.deepStrictEqual(seen.map((r) => r.url.pathname + r.url.search), [
        `/v2.1/projects/demo/pipelines/echo/requests/${id}?metadata_only=true`,
        `/v2.1/projects/demo/pipelines/echo/versions/v%201%2Fx/requests/${id}`
      ])
    }))

  it.effect("accepts any 2xx status as success", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(
        () => ({ status: 200, json: [{ id, status: "pending", time_created: "2024-01-01T00:00:00Z" }] }),
        (s) => s.createBatch(target, [{ a: 1 }])
      )
      assert.isTrue(Exit.isSuccess(exit))
    }))

  it.effect("sends list filters in the wire format", () =>
    Effect.gen(function*() {
      const { seen } = yield* run(
        () => ({ status: 200, json: [] }),
        (s) =>
          s.list(target, {
            status: ["completed", "failed"],
            limit: 10,
            offset: 20,
            startDate: new Date("2024-01-01T00:00:00Z"),
            searchId: "69e"
          })
      )
      const params = seen[0].url.searchParams
      assert.strictEqual(params.get("status"), "completed,failed")
      assert.strictEqual(params.get("limit"), "10")
      assert.strictEqual(params.get("offset"), "20")
      assert.strictEqual(params.get("start_date"), "2024-01-01T00:00:00.000Z")
      assert.strictEqual(params.get("search_id"), "69e")
    }))

  it.effect("cancels all pending requests with the official client's body", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(() => ({ status: 200, json: {} }), (s) =>
        Effect.zip(
          s.cancelBatch(target, { status: "pending" }),
          s.cancelBatch(target, [id])
        ))
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(seen[0].url.pathname, "/v2.1/projects/demo/pipelines/echo/requests/cancel")
      assert.strictEqual(seen[0].url.search, "?status=pending")
      assert.strictEqual(seen[0].body, "[]")
      assert.deepStrictEqual(JSON.parse(seen[1].body), [id])
    }))

  it.effect("does not fail on an untyped or empty body where the API returns an untyped object", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(
        (_, index) => index === 0 ? { status: 204 } : { status: 200, text: "not json" },
        (s) => Effect.zip(s.cancel(target, id), s.deleteBatch(target, [id]))
      )
      assert.isTrue(Exit.isSuccess(exit))
    }))

  it.effect("downloads an input with its file name and content type", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(
        () => ({
          status: 200,
          text: "{\"a\": 1}",
          headers: { "content-type": "application/json", "content-disposition": "attachment; filename=\"input.json\"" }
        }),
        (s) => s.getInput(target, id)
      )
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        assert.strictEqual(exit.value.filename, "input.json")
        assert.deepStrictEqual(exit.value.data, { a: 1 })
      }
    }))

  it.effect("checks that a batch create returned one request per input", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(
        () => ({ status: 201, json: [{ id, status: "pending", time_created: "2024-01-01T00:00:00Z" }] }),
        (s) => s.createBatch(target, [{ a: 1 }, { a: 2 }])
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.match(String(exit.cause), /2 requests were sent but 1 came back/)
    }))
})
