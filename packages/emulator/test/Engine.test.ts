/**
 * The engine's rules, through the in-memory `PipelineRequests` service, under the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import type { PipelineRequestSingleDetail } from "@ubiops-effect/core/Models"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as Emulator from "../src/Emulator.js"
import * as Engine from "../src/Engine.js"
import type { ProjectDefinition } from "../src/PipelineDefinition.js"

const echo = { project: "demo", pipeline: "echo" }
const sleep = { project: "demo", pipeline: "sleep" }

const testProject: ProjectDefinition = {
  name: "test",
  pipelines: [
    { name: "slow", workers: 1, objects: [{ kind: "deployment", name: "work", latency: "30 seconds" }] },
    {
      name: "failing",
      objects: [
        { kind: "operator", name: "first", operator: "function" },
        { kind: "deployment", name: "boom", run: () => Effect.fail("Invalid message format") }
      ]
    },
    {
      name: "versioned",
      defaultVersion: "v2",
      versions: [
        { name: "v1", objects: [] },
        {
          name: "v2",
          objects: [{ kind: "operator", name: "tag", run: (input) => Effect.succeed({ ...(input as object), v: 2 }) }]
        }
      ]
    },
    { name: "bad-output", objects: [{ kind: "deployment", name: "number", run: () => Effect.succeed(42) }] }
  ]
}

const slow = { project: "test", pipeline: "slow" }

/** Lets the engine start what its workers can take (its scheduler runs between fiber turns). */
const settle = Effect.repeatN(Effect.yieldNow(), 3)

const withEmulator = <A, E>(
  effect: Effect.Effect<A, E, PipelineRequests | Emulator.Emulator>,
  options: Emulator.EmulatorOptions = {}
) => Effect.provide(effect, Emulator.layerPipelineRequests({ projects: [testProject], ...options }))

const statusOf = (detail: PipelineRequestSingleDetail) => detail.status

const secondsOf = (timestamp: string | null) => timestamp === null ? null : Date.parse(timestamp) / 1000

describe("Engine", () => {
  it.effect("a batch request is pending at creation, then processed; its result is its input", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created = yield* client.createBatch(echo, [{ a: 1 }, { b: "é" }])
      assert.deepStrictEqual(created.map((item) => item.status), ["pending", "pending"])
      assert.strictEqual(created[0].time_created, "1970-01-01T00:00:00.000+00:00")
      yield* settle
      const detail = yield* client.get(echo, created[1].id)
      assert.strictEqual(detail.status, "completed")
      assert.strictEqual(detail.success, true)
      assert.deepStrictEqual(detail.request_data, { b: "é" })
      assert.deepStrictEqual(detail.result, { b: "é" })
      assert.strictEqual(detail.input_size, Buffer.byteLength(JSON.stringify({ b: "é" })))
      assert.strictEqual(detail.output_size, detail.input_size)
      assert.deepStrictEqual(detail.origin, { created_by: "emulator@ubiops.local" })
      assert.strictEqual(detail.deployment_requests.length, 1)
      assert.strictEqual(detail.operator_requests.length, 1)
      assert.strictEqual(detail.pipeline_requests.length, 1)
      const sequenceIds = [
        detail.deployment_requests[0].sequence_id,
        detail.operator_requests[0].sequence_id,
        detail.pipeline_requests[0].sequence_id
      ]
      for (const sequenceId of sequenceIds) assert.match(sequenceId, /^\d{17}$/)
      assert.deepStrictEqual([...sequenceIds].sort(), sequenceIds)
      assert.strictEqual(detail.deployment_requests[0].deployment, "echo")
      assert.strictEqual(detail.operator_requests[0].operator, "function")
      assert.strictEqual(detail.pipeline_requests[0].pipeline, "echo-inner")
    })))

  it.effect("sizes are the byte lengths of compact JSON, and of the UTF-8 text for plain data", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const structured = yield* client.create(echo, { input_field: 23.5 })
      const plain = yield* client.create({ project: "demo", pipeline: "echo-plain" }, "héllo")
      const [detail] = yield* client.collect(echo, [structured.id])
      const [plainDetail] = yield* client.collect({ project: "demo", pipeline: "echo-plain" }, [plain.id])
      assert.strictEqual(detail.input_size, 20)
      assert.strictEqual(plainDetail.input_size, 6)
      assert.strictEqual(plainDetail.result, "héllo")
    })))

  it.effect("a queue per version: no more requests run at once than the version has workers", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created = yield* client.createBatch(sleep, Array.from({ length: 6 }, () => ({ seconds: 10 })))
      yield* settle
      const statuses = () =>
        Effect.map(client.collect(sleep, created.map((item) => item.id)), (details) => {
          const byId = new Map(details.map((detail) => [detail.id, detail]))
          return created.map((item) => byId.get(item.id)!)
        })
      const first = yield* statuses()
      assert.deepStrictEqual(first.map((detail) => detail.status), [
        "processing",
        "processing",
        "processing",
        "processing",
        "pending",
        "pending"
      ])
      assert.strictEqual(first[4].time_started, null)
      yield* TestClock.adjust("10 seconds")
      yield* settle
      const second = yield* statuses()
      assert.deepStrictEqual(second.map((detail) => detail.status), [
        "completed",
        "completed",
        "completed",
        "completed",
        "processing",
        "processing"
      ])
      assert.strictEqual(secondsOf(second[0].time_completed), 10)
      assert.strictEqual(secondsOf(second[4].time_started), 10)
      yield* TestClock.adjust("10 seconds")
      yield* settle
      const third = yield* statuses()
      assert.isTrue(third.every((detail) => detail.status === "completed"))
      assert.strictEqual(secondsOf(third[5].time_completed), 20)
    })))

  it.effect("priority 0 requests run before priority 1 requests that were queued earlier", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [busy] = yield* client.createBatch(slow, [{ n: 0 }])
      yield* settle
      const standard = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }], { priority: 1 })
      const [urgent] = yield* client.createBatch(slow, [{ n: 3 }], { priority: 0 })
      yield* TestClock.adjust("30 seconds")
      yield* settle
      assert.strictEqual(statusOf(yield* client.get(slow, busy.id)), "completed")
      assert.strictEqual(statusOf(yield* client.get(slow, urgent.id)), "processing")
      assert.strictEqual(statusOf(yield* client.get(slow, standard[0].id)), "pending")
      yield* TestClock.adjust("30 seconds")
      yield* settle
      assert.strictEqual(statusOf(yield* client.get(slow, standard[0].id)), "processing")
      assert.strictEqual(statusOf(yield* client.get(slow, standard[1].id)), "pending")
    })))

  it.effect("a batch timeout counts from the start of processing, not from creation", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      // each request takes 30 s; the second waits 30 s in the queue, then runs 30 s: within a 40 s timeout
      const created = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }], { timeout: 40 })
      yield* settle
      yield* TestClock.adjust("60 seconds")
      yield* settle
      const second = yield* client.get(slow, created[1].id)
      assert.strictEqual(second.status, "completed")
      assert.strictEqual(secondsOf(second.time_started), 30)
      assert.strictEqual(secondsOf(second.time_completed), 60)
      assert.strictEqual(second.pipeline_timeout, 40)
    })))

  it.effect("a request running longer than its timeout fails when the timeout passes", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [busy, late] = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }], { timeout: 20 })
      yield* settle
      yield* TestClock.adjust("19 seconds")
      assert.strictEqual(statusOf(yield* client.get(slow, busy.id)), "processing")
      yield* TestClock.adjust("1 second")
      yield* settle
      const failed = yield* client.get(slow, busy.id)
      assert.strictEqual(failed.status, "failed")
      assert.strictEqual(secondsOf(failed.time_completed), 20)
      assert.match(failed.error_message ?? "", /timeout of 20 seconds/)
      assert.strictEqual(failed.deployment_requests[0].status, "failed")
      // the worker is free again: the next request starts at 20 s
      const next = yield* client.get(slow, late.id)
      assert.strictEqual(next.status, "processing")
      assert.strictEqual(secondsOf(next.time_started), 20)
    })))

  it.effect("cancelling a processing request stops its work and frees the worker", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [running, waiting] = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }])
      yield* settle
      yield* TestClock.adjust("5 seconds")
      yield* client.cancel(slow, running.id)
      const cancelled = yield* client.get(slow, running.id)
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual(secondsOf(cancelled.time_completed), 5)
      assert.strictEqual(cancelled.deployment_requests[0].status, "cancelled")
      yield* settle
      const next = yield* client.get(slow, waiting.id)
      assert.strictEqual(next.status, "processing")
      assert.strictEqual(secondsOf(next.time_started), 5)
      // the stopped work never completes
      yield* TestClock.adjust("60 seconds")
      yield* settle
      assert.strictEqual(statusOf(yield* client.get(slow, running.id)), "cancelled")
      assert.strictEqual(statusOf(yield* client.get(slow, waiting.id)), "completed")
    })))

  it.effect("deleting a processing request stops its work and frees the worker", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [running, waiting] = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }])
      yield* settle
      yield* client.delete(slow, running.id)
      yield* settle
      assert.strictEqual(statusOf(yield* client.get(slow, waiting.id)), "processing")
      yield* TestClock.adjust("30 seconds")
      yield* settle
      assert.strictEqual(statusOf(yield* client.get(slow, waiting.id)), "completed")
      assert.deepStrictEqual((yield* Emulator.stats).statuses, {
        pending: 0,
        processing: 0,
        completed: 1,
        failed: 0,
        cancelled: 0
      })
    })))

  it.effect("closing the engine's scope fails what is processing and stops its work; pending stays pending", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const engine = yield* Scope.extend(Engine.make({ projects: [testProject] }), scope)
      const created = yield* engine.createBatch(slow, [{ n: 1 }, { n: 2 }])
      const direct = yield* engine.startDirect(slow, { n: 3 })
      yield* settle
      yield* Scope.close(scope, Exit.void)
      const [running, waiting] = yield* Effect.forEach(created, (item) => engine.get(slow, item.id))
      assert.strictEqual(running.status, "failed")
      assert.strictEqual(running.error_message, "The emulator was shut down")
      assert.strictEqual(waiting.status, "pending")
      assert.strictEqual((yield* direct.response).status, "failed")
      yield* TestClock.adjust("60 seconds")
      yield* settle
      assert.deepStrictEqual((yield* engine.stats).statuses, {
        pending: 1,
        processing: 0,
        completed: 0,
        failed: 2,
        cancelled: 0
      })
    }))

  it.effect("a cancelled pending request never runs; cancelling a finished one changes nothing", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [first, second] = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }])
      yield* settle
      yield* client.cancel(slow, second.id)
      const cancelled = yield* client.get(slow, second.id)
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual(cancelled.time_started, null)
      yield* TestClock.adjust("90 seconds")
      yield* settle
      assert.strictEqual(statusOf(yield* client.get(slow, second.id)), "cancelled")
      yield* client.cancel(slow, first.id)
      assert.strictEqual(statusOf(yield* client.get(slow, first.id)), "completed")
    })))

  it.effect("cancel-all by status cancels every pending, or every processing, request of the version", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created = yield* client.createBatch(sleep, Array.from({ length: 6 }, () => ({ seconds: 100 })))
      yield* settle
      yield* client.cancelBatch(sleep, { status: "pending" })
      let stats = yield* Emulator.stats
      assert.deepStrictEqual(stats.statuses, { pending: 0, processing: 4, completed: 0, failed: 0, cancelled: 2 })
      yield* client.cancelBatch(sleep, { status: "processing" })
      stats = yield* Emulator.stats
      assert.deepStrictEqual(stats.statuses, { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 6 })
      const cancelled = yield* client.list(sleep, { status: "cancelled" })
      assert.strictEqual(cancelled.length, created.length)
    })))

  it.effect("cancel by ids is all or nothing when an id is unknown", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [request] = yield* client.createBatch(slow, [{ n: 1 }])
      const unknown = request.id.replace(/.$/, (c) => c === "0" ? "1" : "0")
      const error = yield* Effect.flip(client.cancelBatch(slow, [request.id, unknown]))
      assert.strictEqual(error._tag, "NotFound")
      assert.notStrictEqual(statusOf(yield* client.get(slow, request.id)), "cancelled")
      yield* client.cancelBatch(slow, [request.id])
      assert.strictEqual(statusOf(yield* client.get(slow, request.id)), "cancelled")
    })))

  it.effect("a direct request starts processing at once, holds the caller until it ends, and is stored", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const fiber = yield* Effect.fork(client.create(sleep, { seconds: 3 }))
      yield* TestClock.adjust("1 second")
      const processing = yield* client.list(sleep, { status: "processing" })
      assert.strictEqual(processing.length, 1)
      assert.strictEqual(secondsOf(processing[0].time_started), 0)
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("2 seconds")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.status, "completed")
      assert.deepStrictEqual(response.result, { seconds: 3 })
      assert.strictEqual(response.pipeline_timeout, 3600)
      const [stored] = yield* client.collect(sleep, [response.id])
      assert.strictEqual(secondsOf(stored.time_completed), 3)
    })))

  it.effect("a direct request that runs past its timeout answers with status failed", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const fiber = yield* Effect.fork(client.create(sleep, { seconds: 100 }, { timeout: 10 }))
      yield* TestClock.adjust("10 seconds")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.status, "failed")
      assert.match(response.error_message ?? "", /timeout of 10 seconds/)
      assert.isNull(response.result)
    })))

  it.effect("a failing object fails the request, naming the object; later objects do not run", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const response = yield* client.create({ project: "test", pipeline: "failing" }, { a: 1 })
      assert.strictEqual(response.status, "failed")
      assert.strictEqual(response.success, false)
      assert.match(response.error_message ?? "", /deployment request \(object "boom"\): Invalid message format/)
      assert.strictEqual(response.operator_requests[0].status, "completed")
      assert.strictEqual(response.deployment_requests[0].status, "failed")
      assert.strictEqual(response.deployment_requests[0].error_message, "Invalid message format")
      const bad = yield* client.create({ project: "test", pipeline: "bad-output" }, { a: 1 })
      assert.strictEqual(bad.status, "failed")
      assert.match(bad.error_message ?? "", /output must be a JSON object/)
    })))

  it.effect("the endpoints without a version act on the default version; versions are separate", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const target = { project: "test", pipeline: "versioned" }
      const byDefault = yield* client.create(target, { a: 1 })
      assert.strictEqual(byDefault.version, "v2")
      assert.deepStrictEqual(byDefault.result, { a: 1, v: 2 })
      const v1 = yield* client.create({ ...target, version: "v1" }, { a: 1 })
      assert.strictEqual(v1.version, "v1")
      assert.deepStrictEqual(v1.result, { a: 1 })
      assert.strictEqual((yield* client.list(target)).length, 1)
      assert.strictEqual((yield* Effect.flip(client.get(target, v1.id)))._tag, "NotFound")
      assert.strictEqual((yield* client.get({ ...target, version: "v1" }, v1.id)).id, v1.id)
    })))

  it.effect("retention keeps at most the configured number of finished requests, dropping the oldest", () =>
    withEmulator(
      Effect.gen(function*() {
        const client = yield* PipelineRequests
        const created = yield* client.createBatch(echo, Array.from({ length: 10 }, (_, n) => ({ n })))
        yield* settle
        const stats = yield* Emulator.stats
        assert.strictEqual(stats.stored, 4)
        assert.strictEqual(stats.evicted, 6)
        assert.strictEqual(stats.created.total, 10)
        const oldest = yield* Effect.flip(client.get(echo, created[5].id))
        assert.strictEqual(oldest._tag, "NotFound")
        const kept = yield* client.collect(echo, created.slice(6).map((item) => item.id))
        assert.strictEqual(kept.length, 4)
      }),
      { maxFinishedRequests: 4 }
    ))

  it.effect("retention never drops pending or processing requests", () =>
    withEmulator(
      Effect.gen(function*() {
        const client = yield* PipelineRequests
        const queued = yield* client.createBatch(slow, [{ n: 1 }, { n: 2 }, { n: 3 }])
        yield* settle
        yield* client.createBatch(echo, Array.from({ length: 5 }, (_, n) => ({ n })))
        yield* settle
        const stats = yield* Emulator.stats
        assert.deepStrictEqual(stats.statuses, { pending: 2, processing: 1, completed: 2, failed: 0, cancelled: 0 })
        assert.strictEqual((yield* client.collect(slow, queued.map((item) => item.id))).length, 3)
      }),
      { maxFinishedRequests: 2 }
    ))

  it.effect("object requests are reachable by id, with their input and output", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const response = yield* client.create(echo, { x: 1 })
      const target = { ...echo, version: "v1" }
      const operatorId = response.operator_requests[0].id
      const operator = yield* client.getOperatorRequest(target, operatorId, { pipelineRequestId: response.id })
      assert.strictEqual(operator.pipeline_request_id, response.id)
      assert.strictEqual(operator.pipeline_object, "echo-function")
      assert.strictEqual(operator.operator, "function")
      assert.deepStrictEqual(operator.result, { x: 1 })
      const metadata = yield* client.getOperatorRequest(target, operatorId, { metadataOnly: true })
      assert.isNull(metadata.request_data)
      const input = yield* client.getOperatorRequestInput(target, operatorId)
      assert.deepStrictEqual(input.data, { x: 1 })
      const other = yield* client.create(echo, { y: 2 })
      const mismatch = yield* Effect.flip(
        client.getOperatorRequest(target, operatorId, { pipelineRequestId: other.id })
      )
      assert.strictEqual(mismatch._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(client.getOperatorRequest(target, response.id)))._tag, "NotFound")
    })))

  it.effect("input and output downloads: JSON for structured data, text for plain; no output before completion", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const structured = yield* client.create(echo, { x: "é" })
      const input = yield* client.getInput(echo, structured.id)
      assert.strictEqual(input.contentType, "application/json")
      assert.strictEqual(input.text, "{\"x\":\"é\"}")
      assert.strictEqual(input.filename, `${structured.id}-input.json`)
      const plainTarget = { project: "demo", pipeline: "echo-plain" }
      const plain = yield* client.create(plainTarget, "hello")
      const output = yield* client.getOutput(plainTarget, plain.id)
      assert.strictEqual(output.text, "hello")
      assert.strictEqual(output.contentType, "text/plain; charset=utf-8")
      const [pending] = yield* client.createBatch(slow, [{ n: 1 }])
      const error = yield* Effect.flip(client.getOutput(slow, pending.id))
      assert.strictEqual(error._tag, "NotFound")
    })))

  it.effect("delete removes one request; delete-many is all or nothing", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created = yield* client.createBatch(echo, [{ n: 1 }, { n: 2 }, { n: 3 }])
      yield* settle
      yield* client.delete(echo, created[0].id)
      assert.strictEqual((yield* Effect.flip(client.get(echo, created[0].id)))._tag, "NotFound")
      const error = yield* Effect.flip(client.deleteBatch(echo, [created[1].id, created[0].id]))
      assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual((yield* client.collect(echo, [created[1].id, created[2].id])).length, 2)
      yield* client.deleteBatch(echo, [created[1].id, created[2].id])
      assert.strictEqual((yield* Emulator.stats).stored, 0)
    })))

  it.effect("collect fails when one id is missing, returns newest first, and accepts at most 250 ids", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const first = yield* client.createBatch(echo, [{ n: 1 }])
      const second = yield* client.createBatch(echo, [{ n: 2 }])
      yield* settle
      const ids = [first[0].id, second[0].id]
      const collected = yield* client.collect(echo, ids)
      assert.deepStrictEqual(collected.map((detail) => detail.id), [second[0].id, first[0].id])
      yield* client.delete(echo, first[0].id)
      const missing = yield* Effect.flip(client.collect(echo, ids))
      assert.strictEqual(missing._tag, "NotFound")
      assert.include(missing.message, first[0].id)
      const tooMany = yield* Effect.flip(client.collect(echo, Array.from({ length: 251 }, () => second[0].id)))
      assert.strictEqual(tooMany._tag, "InvalidRequest")
    })))

  it.effect("list: completed by default, newest first, with status, limit, offset, dates and search_id", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const created: Array<string> = []
      for (let n = 0; n < 5; n++) {
        created.push((yield* client.create(echo, { n })).id)
        yield* TestClock.adjust("1 minute")
      }
      const failed = yield* client.create({ project: "test", pipeline: "failing" }, { n: 9 })
      assert.strictEqual(failed.status, "failed")
      const all = yield* client.list(echo)
      assert.deepStrictEqual(all.map((item) => item.id), [...created].reverse())
      const page = yield* client.list(echo, { limit: 2, offset: 1 })
      assert.deepStrictEqual(page.map((item) => item.id), [created[3], created[2]])
      const window = yield* client.list(echo, {
        startDate: new Date(60_000),
        endDate: new Date(180_000)
      })
      assert.deepStrictEqual(window.map((item) => item.id), [created[3], created[2], created[1]])
      const searched = yield* client.list(echo, { searchId: created[2].slice(-6) })
      assert.deepStrictEqual(searched.map((item) => item.id), [created[2]])
      assert.strictEqual((yield* client.list(echo, { status: "failed" })).length, 0)
      const failing = { project: "test", pipeline: "failing" }
      assert.strictEqual((yield* client.list(failing, { status: ["completed", "failed"] })).length, 1)
      const invalid = yield* Effect.flip(client.list(echo, { status: ["pending", "completed"] }))
      assert.strictEqual(invalid._tag, "InvalidRequest")
      assert.strictEqual((yield* Effect.flip(client.list(echo, { limit: 51 })))._tag, "InvalidRequest")
    })))

  it.effect("the fake refuses what the client refuses, and answers unknown names with NotFound", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const timeout = yield* Effect.flip(client.create(echo, { a: 1 }, { timeout: 5 }))
      assert.strictEqual(timeout._tag, "InvalidRequest")
      assert.include(timeout.message, "timeout must be an integer from 10 to 7200")
      const tooMany = yield* Effect.flip(client.createBatch(echo, Array.from({ length: 251 }, () => ({}))))
      assert.strictEqual(tooMany._tag, "InvalidRequest")
      const project = yield* Effect.flip(client.get({ project: "nope", pipeline: "echo" }, "x"))
      assert.strictEqual(project._tag, "NotFound")
      if (project._tag === "NotFound") {
        assert.strictEqual(project.operation, "pipelineRequestsGet")
        assert.strictEqual(project.method, "GET")
        assert.strictEqual(project.path, "/v2.1/projects/nope/pipelines/echo/requests/x")
        assert.strictEqual(project.status, 404)
        assert.strictEqual(project.serverMessage, "Project \"nope\" not found")
      }
      const version = yield* Effect.flip(client.get({ ...echo, version: "v 9/x" }, "x"))
      assert.strictEqual(version._tag, "NotFound")
      if (version._tag === "NotFound") {
        assert.strictEqual(version.path, "/v2.1/projects/demo/pipelines/echo/versions/v%209%2Fx/requests/x")
      }
      const wrongType = yield* Effect.flip(client.create({ project: "demo", pipeline: "echo-plain" }, { a: 1 }))
      assert.strictEqual(wrongType._tag, "BadRequest")
      const structuredText = yield* client.create(echo, "{\"a\": 1}")
      assert.deepStrictEqual(structuredText.result, { a: 1 })
    })))

  it.effect("the stream gives the partial results, then the final response", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { Stream } = yield* Effect.promise(() => import("effect"))
      const fiber = yield* Effect.fork(Stream.runCollect(client.createStreaming(sleep, { seconds: 2 })))
      yield* TestClock.adjust("2 seconds")
      const events = Array.from(yield* Fiber.join(fiber))
      assert.deepStrictEqual(events.slice(0, 2), [
        { _tag: "Partial", data: "slept 1 of 2 seconds" },
        { _tag: "Partial", data: "slept 2 of 2 seconds" }
      ])
      const final = events[2]
      assert.strictEqual(final._tag, "Final")
      if (final._tag === "Final") assert.strictEqual(final.response.status, "completed")
    })))

  it.effect("faults: rate limit, error rates, drops before and after accepting a create", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      yield* Emulator.setFaults({ rateLimitPerMinute: 2 })
      yield* client.list(echo)
      yield* client.list(echo)
      const limited = yield* Effect.flip(client.list(echo))
      assert.strictEqual(limited._tag, "RateLimited")
      if (limited._tag === "RateLimited") assert.strictEqual(limited.retryAfterMillis, 60_000)
      yield* TestClock.adjust("1 minute")
      yield* client.list(echo)
      yield* Emulator.setFaults({ errorRates: { "503": 1 } })
      const unavailable = yield* Effect.flip(client.list(echo))
      assert.strictEqual(unavailable._tag, "ServerError")
      yield* Emulator.setFaults({ dropBeforeAccept: 1 })
      const before = yield* Effect.flip(client.createBatch(echo, [{ a: 1 }]))
      assert.strictEqual(before._tag, "TransportError")
      assert.strictEqual((yield* Emulator.stats).created.total, 0)
      yield* Emulator.setFaults({ dropAfterAccept: 1 })
      const after = yield* Effect.flip(client.createBatch(echo, [{ a: 1 }]))
      assert.strictEqual(after._tag, "TransportError")
      yield* Emulator.setFaults({})
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.total, 1)
      assert.deepStrictEqual(stats.dropped, { beforeAccept: 1, afterAccept: 1 })
      assert.strictEqual(stats.calls.pipelineRequestsList, 5)
      assert.strictEqual(stats.responses["429"], 1)
      assert.strictEqual(stats.responses["503"], 1)
    })))

  it.effect("a seed makes the faults reproducible", () =>
    Effect.gen(function*() {
      const run = withEmulator(Effect.gen(function*() {
        const client = yield* PipelineRequests
        yield* Emulator.setFaults({ seed: 42, errorRates: { "500": 0.3, "503": 0.2 } })
        const statuses: Array<number> = []
        for (let i = 0; i < 60; i++) {
          const outcome = yield* Effect.either(client.list(echo))
          statuses.push(outcome._tag === "Right" ? 200 : outcome.left._tag === "ServerError" ? outcome.left.status : 0)
        }
        return statuses
      }))
      const first = yield* run
      assert.deepStrictEqual(yield* run, first)
      const count = (status: number) => first.filter((s) => s === status).length
      assert.isAbove(count(200), 10)
      assert.isAbove(count(500), 5)
      assert.isAbove(count(503), 2)
      assert.strictEqual(count(200) + count(500) + count(503), 60)
    }))

  it.effect("latency faults delay calls on the emulator's clock", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      yield* Emulator.setFaults({ latencyMs: [500, 500] })
      const fiber = yield* Effect.fork(client.list(echo))
      yield* TestClock.adjust(Duration.millis(499))
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust(Duration.millis(1))
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(fiber)))
    })))
})
