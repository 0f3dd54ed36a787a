/**
 * The core client, unchanged, against the emulator: in-process through `EmulatorHttpClient` (no socket), and
 * over a real socket through `FetchHttpClient`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Client from "@ubiops-effect/core/PipelineRequests"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorHttpClient from "../src/EmulatorHttpClient.js"
import * as EmulatorServer from "../src/EmulatorServer.js"
import type { ProjectDefinition } from "../src/PipelineDefinition.js"

const token = "client-stack-token"
const echo = { project: "demo", pipeline: "echo" }

const project: ProjectDefinition = {
  name: "stack",
  pipelines: [{
    name: "talker",
    objects: [{
      kind: "deployment",
      name: "talker",
      run: (input, context) =>
        Effect.zipRight(context.emit("partial one"), Effect.as(context.emit("partial two"), input))
    }]
  }]
}

const fastRetries = { maxRetries: 2, baseDelay: "5 millis", maxDelay: "20 millis" } as const

const inProcess = (options: Partial<Client.ClientOptions> = {}, emulator: Emulator.EmulatorOptions = {}) =>
  Client.layer({ token: Redacted.make(token), host: EmulatorHttpClient.baseUrl, retry: fastRetries, ...options }).pipe(
    Layer.provide(EmulatorHttpClient.layer),
    Layer.provideMerge(Emulator.layer({ token, projects: [project], ...emulator }))
  )

describe("the core client over the in-process HttpClient", () => {
  it.live("creates, collects, lists, gets, cancels and deletes through the whole client stack", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created = yield* client.createBatch(echo, [{ n: 1 }, { n: 2 }], { timeout: 600 })
      assert.deepStrictEqual(created.map((item) => item.status), ["pending", "pending"])
      yield* Effect.sleep(20)
      const collected = yield* client.collect(echo, created.map((item) => item.id))
      assert.deepStrictEqual(collected.map((item) => item.result).reverse(), [{ n: 1 }, { n: 2 }])
      const listed = yield* client.list(echo, { limit: 1 })
      assert.strictEqual(listed[0].id, created[1].id)
      const detail = yield* client.get(echo, created[0].id, { metadataOnly: true })
      assert.isNull(detail.request_data)
      const direct = yield* client.create({ project: "demo", pipeline: "echo-plain" }, "héllo")
      assert.strictEqual(direct.result, "héllo")
      const output = yield* client.getOutput({ project: "demo", pipeline: "echo-plain" }, direct.id)
      assert.strictEqual(output.text, "héllo")
      assert.strictEqual(output.filename, `${direct.id}-output.txt`)
      const operator = yield* client.getOperatorRequest(
        { ...echo, version: "v1" },
        collected[0].operator_requests[0].id
      )
      assert.strictEqual(operator.pipeline_object, "echo-function")
      const [sleeping] = yield* client.createBatch({ project: "demo", pipeline: "sleep" }, [{ seconds: 600 }])
      yield* client.cancel({ project: "demo", pipeline: "sleep" }, sleeping.id)
      assert.strictEqual((yield* client.get({ project: "demo", pipeline: "sleep" }, sleeping.id)).status, "cancelled")
      yield* client.delete(echo, created[0].id)
      yield* client.deleteBatch(echo, [created[1].id])
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.calls.pipelineRequestsDelete, 1)
      assert.strictEqual(stats.responses["204"], 1)
    }).pipe(Effect.provide(inProcess())))

  it.live("streams the partial results, then the final response", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const events = Chunk.toArray(
        yield* Stream.runCollect(client.createStreaming({ project: "stack", pipeline: "talker" }, { a: 1 }))
      )
      assert.deepStrictEqual(events.slice(0, 2), [
        { _tag: "Partial", data: "partial one" },
        { _tag: "Partial", data: "partial two" }
      ])
      const final = events[2]
      assert.strictEqual(final._tag, "Final")
      if (final._tag === "Final") assert.deepStrictEqual(final.response.result, { a: 1 })
    }).pipe(Effect.provide(inProcess())))

  it.live("the server's errors arrive as the client's typed errors, with the server's message", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const missing = yield* Effect.flip(client.get({ project: "nope", pipeline: "echo" }, "abc"))
      assert.strictEqual(missing._tag, "NotFound")
      if (missing._tag === "NotFound") {
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.serverMessage, "Project \"nope\" not found")
        assert.strictEqual(missing.path, "/v2.1/projects/nope/pipelines/echo/requests/abc")
      }
      const wrongType = yield* Effect.flip(client.create({ project: "demo", pipeline: "echo-plain" }, { a: 1 }))
      assert.strictEqual(wrongType._tag, "BadRequest")
      const callsBefore = (yield* Emulator.stats).calls.pipelineRequestsCreate
      const invalid = yield* Effect.flip(client.create(echo, { a: 1 }, { timeout: 5 }))
      assert.strictEqual(invalid._tag, "InvalidRequest")
      assert.strictEqual((yield* Emulator.stats).calls.pipelineRequestsCreate, callsBefore)
    }).pipe(Effect.provide(inProcess())))

  it.live("a wrong token is Unauthorized", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const error = yield* Effect.flip(client.list(echo))
      assert.strictEqual(error._tag, "Unauthorized")
    }).pipe(
      Effect.provide(
        Client.layer({ token: Redacted.make("wrong"), host: EmulatorHttpClient.baseUrl }).pipe(
          Layer.provide(EmulatorHttpClient.layer),
          Layer.provide(Emulator.layer({ token }))
        )
      )
    ))

  it.live("injected 503s are retried for idempotent calls and counted as calls", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      yield* Emulator.setFaults({ errorRates: { "503": 1 } })
      const error = yield* Effect.flip(client.list(echo))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual((yield* Emulator.stats).calls.pipelineRequestsList, 3)
      yield* Emulator.setFaults({})
      assert.deepStrictEqual(yield* client.list(echo), [])
    }).pipe(Effect.provide(inProcess())))

  it.live("a dropped connection is a TransportError; a create is not repeated, and after accepting it is stored", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      yield* Emulator.setFaults({ dropBeforeAccept: 1 })
      const before = yield* Effect.flip(client.createBatch(echo, [{ a: 1 }]))
      assert.strictEqual(before._tag, "TransportError")
      yield* Emulator.setFaults({ dropAfterAccept: 1 })
      const after = yield* Effect.flip(client.createBatch(echo, [{ a: 1 }]))
      assert.strictEqual(after._tag, "TransportError")
      if (after._tag === "TransportError") assert.isTrue(after.mayHaveReachedServer)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 2)
      assert.strictEqual(stats.created.total, 1)
      assert.deepStrictEqual(stats.dropped, { beforeAccept: 1, afterAccept: 1 })
    }).pipe(Effect.provide(inProcess())))

  it.effect("works under the TestClock too", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created = yield* client.create(echo, { clock: "test" })
      assert.strictEqual(created.status, "completed")
      const [detail] = yield* client.collect(echo, [created.id])
      assert.strictEqual(detail.time_created, "1970-01-01T00:00:00.000+00:00")
    }).pipe(Effect.provide(inProcess())))
})

describe("the core client over a real socket", () => {
  it.live("talks to the loopback server through FetchHttpClient", () =>
    Effect.gen(function*() {
      const server = yield* EmulatorServer.EmulatorServer
      const client = yield* Client.make({ token: Redacted.make(server.token), host: server.baseUrl })
      const created = yield* client.createBatch(echo, [{ socket: true }])
      yield* Effect.sleep(20)
      const [detail] = yield* client.collect(echo, [created[0].id])
      assert.deepStrictEqual(detail.result, { socket: true })
      const events = Chunk.toArray(
        yield* Stream.runCollect(client.createStreaming({ project: "stack", pipeline: "talker" }, {}))
      )
      assert.strictEqual(events.length, 3)
    }).pipe(
      Effect.provide(FetchHttpClient.layer),
      Effect.provide(EmulatorServer.layerWithEmulator({ token, port: 0, projects: [project] }))
    ))
})
