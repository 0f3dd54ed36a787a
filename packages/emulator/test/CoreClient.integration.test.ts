import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, layer } from "@effect/vitest"
import { isTerminalStatus, type PipelineRequestDetail } from "@ubiops-effect/core/Models"
import * as Pipeline from "@ubiops-effect/core/Pipeline"
import { PipelineRequests, type PipelineTarget, type ReadError } from "@ubiops-effect/core/PipelineRequests"
import * as Client from "@ubiops-effect/core/PipelineRequests"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorHttpClient from "../src/EmulatorHttpClient.js"
import * as EmulatorServer from "../src/EmulatorServer.js"
import type { ProjectDefinition } from "../src/PipelineDefinition.js"

const token = "integration-token-5c2e"

/** A pipeline with a default version and a named one (with a name that needs encoding), and odd names. */
const project: ProjectDefinition = {
  name: "itest",
  pipelines: [
    {
      name: "double",
      inputType: "structured",
      defaultVersion: "v1",
      versions: [
        {
          name: "v1",
          objects: [{
            kind: "deployment",
            name: "doubler",
            run: (input) => {
              const { n } = input as { n: number }
              return n < 0 ? Effect.fail("negative input") : Effect.succeed({ n: n * 2, version: "v1" })
            }
          }, { kind: "operator", name: "passthrough", operator: "function" }]
        },
        {
          name: "v 2/x",
          objects: [{
            kind: "deployment",
            name: "doubler",
            run: (input) => Effect.succeed({ n: (input as { n: number }).n * 2, version: "v2" })
          }]
        }
      ]
    }
  ]
}
const oddProject: ProjectDefinition = {
  name: "a/b c",
  pipelines: [{ name: "../x", inputType: "plain", objects: [{ kind: "deployment", name: "echo" }] }]
}

const double: PipelineTarget = { project: "itest", pipeline: "double" }
const doubleV2: PipelineTarget = { ...double, version: "v 2/x" }
const sleep: PipelineTarget = { project: "demo", pipeline: "sleep" }
const emulatorOptions = { token, projects: [project, oddProject] }

const untilTerminal = (target: PipelineTarget, ids: ReadonlyArray<string>) =>
  Effect.flatMap(PipelineRequests, (service) => {
    const loop: Effect.Effect<ReadonlyArray<PipelineRequestDetail>, ReadError> = Effect.flatMap(
      service.collect(target, ids),
      (details) =>
        details.every((detail) => isTerminalStatus(detail.status))
          ? Effect.succeed(details)
          : Effect.zipRight(Effect.sleep(Duration.millis(20)), loop)
    )
    return loop
  })

const suite = (name: string, faces: Layer.Layer<PipelineRequests | Emulator.Emulator, unknown>) =>
  layer(faces, { excludeTestServices: true, timeout: Duration.seconds(30) })(name, (it) => {
    for (
      const [label, target, version] of [["default version", double, "v1"], ["named version", doubleV2, "v2"]] as const
    ) {
      it.effect(`create, ${label}`, () =>
        Effect.gen(function*() {
          const service = yield* PipelineRequests
          const response = yield* service.create(target, { n: 21 })
          assert.strictEqual(response.status, "completed")
          assert.deepStrictEqual(response.result, { n: 42, version })
          assert.strictEqual(response.deployment_requests[0].status, "completed")
        }))

      it.effect(`createBatch, collect, get, list, downloads, ${label}`, () =>
        Effect.gen(function*() {
          const service = yield* PipelineRequests
          const created = yield* service.createBatch(target, [{ n: 1 }, { n: 2 }, { n: 3 }], { timeout: 600 })
          assert.deepStrictEqual(created.map((r) => r.status), ["pending", "pending", "pending"])
          const ids = created.map((r) => r.id)
          const details = yield* untilTerminal(target, ids)
          assert.deepStrictEqual(
            [...details].sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)).map((d) => d.result),
            [{ n: 2, version }, { n: 4, version }, { n: 6, version }]
          )
          const single = yield* service.get(target, ids[1])
          assert.deepStrictEqual(single.request_data, { n: 2 })
          assert.strictEqual(single.input_size, JSON.stringify({ n: 2 }).length)
          const metadata = yield* service.get(target, ids[1], { metadataOnly: true })
          assert.strictEqual(metadata.result, null)
          const listed = yield* service.list(target, { status: ["completed", "failed"], limit: 50 })
          assert.includeMembers(listed.map((r) => r.id), ids)
          const input = yield* service.getInput(target, ids[0])
          assert.deepStrictEqual(input.data, { n: 1 })
          const output = yield* service.getOutput(target, ids[0])
          assert.deepStrictEqual(output.data, { n: 2, version })
          yield* service.deleteBatch(target, ids.slice(0, 2))
          yield* service.delete(target, ids[2])
          const gone = yield* Effect.flip(service.get(target, ids[2]))
          assert.strictEqual(gone._tag, "NotFound")
        }))
    }

    it.effect("a failed run is a result, and a typed pipeline turns it into PipelineRequestFailed", () =>
      Effect.gen(function*() {
        const service = yield* PipelineRequests
        const response = yield* service.create(double, { n: -1 })
        assert.strictEqual(response.status, "failed")
        assert.include(response.error_message ?? "", "negative input")
        const Double = Pipeline.make({
          ...double,
          input: Schema.Struct({ n: Schema.Number }),
          output: Schema.Struct({ n: Schema.Number })
        })
        assert.deepStrictEqual(yield* Double.request({ n: 5 }), { n: 10 })
        const error = yield* Effect.flip(Double.request({ n: -5 }))
        assert.strictEqual(error._tag, "PipelineRequestFailed")
        if (error._tag === "PipelineRequestFailed") {
          assert.strictEqual(error.failedSubRequest?.pipelineObject, "doubler")
          assert.include(error.message, "negative input")
        }
      }))

    it.effect("getOperatorRequest and its input and output", () =>
      Effect.gen(function*() {
        const service = yield* PipelineRequests
        const response = yield* service.create({ ...double, version: "v1" }, { n: 4 })
        const operator = response.operator_requests[0]
        const detail = yield* service.getOperatorRequest({ ...double, version: "v1" }, operator.id)
        assert.strictEqual(detail.pipeline_request_id, response.id)
        assert.strictEqual(detail.pipeline_object, "passthrough")
        const input = yield* service.getOperatorRequestInput({ ...double, version: "v1" }, operator.id)
        const output = yield* service.getOperatorRequestOutput({ ...double, version: "v1" }, operator.id)
        assert.deepStrictEqual(output.data, input.data)
      }))

    it.effect("cancel, cancelBatch by ids and by status", () =>
      Effect.gen(function*() {
        const service = yield* PipelineRequests
        const created = yield* service.createBatch(sleep, Array.from({ length: 10 }, () => ({ seconds: 30 })))
        const ids = created.map((r) => r.id)
        yield* service.cancel(sleep, ids[0])
        yield* service.cancelBatch(sleep, ids.slice(1, 3))
        yield* service.cancelBatch(sleep, { status: "pending" })
        yield* service.cancelBatch(sleep, { status: "processing" })
        const details = yield* untilTerminal(sleep, ids)
        assert.deepStrictEqual(details.map((d) => d.status), ids.map(() => "cancelled"))
      }))

    it.effect("createStreaming yields the partial outputs, then the final response", () =>
      Effect.gen(function*() {
        const service = yield* PipelineRequests
        const events = yield* Stream.runCollect(service.createStreaming(sleep, { seconds: 2 }, { timeout: 60 }))
        const all = Chunk.toReadonlyArray(events)
        const partials = all.filter((event) => event._tag === "Partial")
        assert.isAtLeast(partials.length, 2)
        const last = all[all.length - 1]
        assert.strictEqual(last._tag, "Final")
        if (last._tag === "Final") assert.deepStrictEqual(last.response.result, { seconds: 2 })
      }))

    it.effect("names that need encoding reach the server exactly", () =>
      Effect.gen(function*() {
        const service = yield* PipelineRequests
        const response = yield* service.create({ project: "a/b c", pipeline: "../x" }, "plain text é")
        assert.strictEqual(response.result, "plain text é")
        const missing = yield* Effect.flip(service.get({ project: "a/b", pipeline: "../x" }, response.id))
        assert.strictEqual(missing._tag, "NotFound")
      }))

    it.effect("unknown requests are NotFound, with the server's message", () =>
      Effect.gen(function*() {
        const service = yield* PipelineRequests
        const error = yield* Effect.flip(service.get(double, "00000000-0000-4000-8000-000000000000"))
        assert.strictEqual(error._tag, "NotFound")
        if (error._tag === "NotFound") assert.isString(error.serverMessage)
      }))
  })

const overLoopback = (transport: Layer.Layer<HttpClient.HttpClient>) =>
  Layer.unwrapEffect(
    Effect.map(EmulatorServer.EmulatorServer, (server) =>
      Client.layer({ token: Redacted.make(server.token), host: server.baseUrl }).pipe(Layer.provide(transport)))
  ).pipe(Layer.provideMerge(EmulatorServer.layerWithEmulator(emulatorOptions)))

describe("against the emulator", () => {
  suite("over loopback HTTP with undici", overLoopback(NodeHttpClient.layerUndici))
  suite("over loopback HTTP with fetch", overLoopback(FetchHttpClient.layer))
  suite(
    "through the in-process HTTP layer",
    Client.layer({ token: Redacted.make(token), host: EmulatorHttpClient.baseUrl }).pipe(
      Layer.provide(EmulatorHttpClient.layer),
      Layer.provideMerge(Emulator.layer(emulatorOptions))
    )
  )
})
