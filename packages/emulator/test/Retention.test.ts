/**
 * Request retention per pipeline version (`full`, `metadata`, `none`) and the visibility delay of finished
 * requests, through the in-memory `PipelineRequests` service, under the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestClock from "effect/TestClock"
import * as ConfigFile from "../src/ConfigFile.js"
import * as Emulator from "../src/Emulator.js"
import { problems, type ProjectDefinition } from "../src/PipelineDefinition.js"

const project: ProjectDefinition = {
  name: "kept",
  pipelines: [
    { name: "metadata", requestRetentionMode: "metadata" },
    { name: "none", requestRetentionMode: "none" },
    {
      name: "slow-none",
      requestRetentionMode: "none",
      workers: 1,
      objects: [{ kind: "deployment", name: "work", latency: "10 seconds" }]
    },
    {
      name: "mixed",
      versions: [{ name: "v1" }, { name: "v2", requestRetentionMode: "none" }]
    }
  ]
}

const metadata = { project: "kept", pipeline: "metadata" }
const none = { project: "kept", pipeline: "none" }
const slowNone = { project: "kept", pipeline: "slow-none" }

const settle = Effect.repeatN(Effect.yieldNow(), 3)

const withEmulator = <A, E>(
  effect: Effect.Effect<A, E, PipelineRequests | Emulator.Emulator>,
  options: Emulator.EmulatorOptions = {}
) => Effect.provide(effect, Emulator.layerPipelineRequests({ projects: [project], ...options }))

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.match(effect, { onFailure: (error) => error._tag, onSuccess: () => "success" })

describe("request retention", () => {
  it.effect("metadata: status, times and sizes are kept, request_data and result are not; a direct request still answers", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [created] = yield* client.createBatch(metadata, [{ a: 1 }])
      yield* settle
      const detail = yield* client.get(metadata, created.id)
      assert.strictEqual(detail.status, "completed")
      assert.isNull(detail.request_data)
      assert.isNull(detail.result)
      assert.strictEqual(detail.input_size, 7)
      const [collected] = yield* client.collect(metadata, [created.id])
      assert.isNull(collected.request_data)
      assert.isNull(collected.result)
      const listed = yield* client.list(metadata, { status: ["completed"] })
      assert.deepStrictEqual(listed.map((item) => item.id), [created.id])
      assert.strictEqual(yield* tagOf(client.getInput(metadata, created.id)), "NotFound")
      assert.strictEqual(yield* tagOf(client.getOutput(metadata, created.id)), "NotFound")
      const direct = yield* client.create(metadata, { b: 2 })
      assert.deepStrictEqual(direct.result, { b: 2 })
    })))

  it.effect("none: a request is readable (without its data) until it finishes, then forgotten", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [first, second] = yield* client.createBatch(slowNone, [{ n: 1 }, { n: 2 }])
      yield* settle
      const details = yield* client.collect(slowNone, [first.id, second.id])
      assert.deepStrictEqual(details.map((detail) => detail.status).sort(), ["pending", "processing"])
      assert.isTrue(details.every((detail) => detail.request_data === null))
      const unfinished = yield* client.list(slowNone, { status: ["pending"] })
      assert.deepStrictEqual(unfinished.map((item) => item.id), [second.id])
      yield* TestClock.adjust("10 seconds")
      yield* settle
      assert.strictEqual(yield* tagOf(client.get(slowNone, first.id)), "NotFound")
      assert.strictEqual(yield* tagOf(client.collect(slowNone, [first.id, second.id])), "NotFound")
      assert.deepStrictEqual(yield* client.list(slowNone, { status: ["completed"] }), [])
      assert.strictEqual((yield* client.get(slowNone, second.id)).status, "processing")
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.total, 2)
      assert.strictEqual(stats.stored, 1)
    })))

  it.effect("none: a direct request returns its result and leaves nothing to read", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const direct = yield* client.create(none, { c: 3 })
      assert.deepStrictEqual(direct.result, { c: 3 })
      assert.strictEqual(yield* tagOf(client.get(none, direct.id)), "NotFound")
      assert.deepStrictEqual(yield* client.list(none, { status: ["completed", "failed", "cancelled"] }), [])
    })))

  it.effect("is set per version", () =>
    withEmulator(Effect.gen(function*() {
      const client = yield* PipelineRequests
      const [kept] = yield* client.createBatch({ project: "kept", pipeline: "mixed", version: "v1" }, [{ v: 1 }])
      const [gone] = yield* client.createBatch({ project: "kept", pipeline: "mixed", version: "v2" }, [{ v: 2 }])
      yield* settle
      assert.deepStrictEqual(
        (yield* client.get({ project: "kept", pipeline: "mixed", version: "v1" }, kept.id)).result,
        { v: 1 }
      )
      assert.strictEqual(
        yield* tagOf(client.get({ project: "kept", pipeline: "mixed", version: "v2" }, gone.id)),
        "NotFound"
      )
    })))
})

describe("the visibility delay", () => {
  it.effect("a finished request reads as it was until the delay has passed, in get, collect and list", () =>
    withEmulator(
      Effect.gen(function*() {
        const client = yield* PipelineRequests
        const echo = { project: "demo", pipeline: "echo" }
        const [created] = yield* client.createBatch(echo, [{ a: 1 }])
        yield* settle
        const early = yield* client.get(echo, created.id)
        assert.strictEqual(early.status, "processing")
        assert.isNull(early.result)
        assert.isNull(early.time_completed)
        assert.deepStrictEqual(yield* client.list(echo), [])
        assert.strictEqual((yield* Emulator.stats).statuses.completed, 1, "the stats see the truth at once")
        yield* TestClock.adjust("1999 millis")
        assert.strictEqual((yield* client.collect(echo, [created.id]))[0].status, "processing")
        yield* TestClock.adjust("1 millis")
        const late = yield* client.get(echo, created.id)
        assert.strictEqual(late.status, "completed")
        assert.deepStrictEqual(late.result, { a: 1 })
        assert.deepStrictEqual((yield* client.list(echo)).map((item) => item.id), [created.id])
      }),
      { faults: "ubiops" }
    ))

  it.effect("with retention none, a request is forgotten when the delay has passed", () =>
    withEmulator(
      Effect.gen(function*() {
        const client = yield* PipelineRequests
        const [created] = yield* client.createBatch(none, [{ a: 1 }])
        yield* settle
        assert.strictEqual((yield* client.get(none, created.id)).status, "processing")
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(yield* tagOf(client.get(none, created.id)), "NotFound")
      }),
      { faults: { visibilityDelayMs: 2000 } }
    ))
})

describe("configuration", () => {
  it("a config file sets the mode on a pipeline or a version; an unknown mode is refused", () => {
    const parsed = ConfigFile.parse({
      projects: [{
        name: "p",
        pipelines: [
          { name: "a", requestRetentionMode: "metadata" },
          { name: "b", versions: [{ name: "v1", requestRetentionMode: "none" }] }
        ]
      }]
    })
    assert.isTrue(Either.isRight(parsed))
    const pipelines = Either.getOrThrow(parsed)[0].pipelines
    assert.strictEqual(pipelines[0].requestRetentionMode, "metadata")
    assert.strictEqual(pipelines[1].versions?.[0].requestRetentionMode, "none")
    const wrong = ConfigFile.parse({
      projects: [{ name: "p", pipelines: [{ name: "a", requestRetentionMode: "all" }] }]
    })
    assert.isTrue(Either.isLeft(wrong))
    assert.include(Either.getLeft(wrong).pipe((left) => left._tag === "Some" ? left.value : ""), "requestRetentionMode")
  })

  it("a definition in code with an unknown mode is a problem", () => {
    const found = problems([{
      name: "p",
      pipelines: [{ name: "a", requestRetentionMode: "everything" as "full" }]
    }])
    assert.deepStrictEqual(found, [
      `pipeline "a" of project "p" version "v1": requestRetentionMode must be one of full, metadata, none, got "everything"`
    ])
  })
})
