/**
 * Exactly-once submission: creates that fail after the server accepted them (or before), on the in-memory emulator,
 * with the whole run around them.
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { assert, describe, it } from "@effect/vitest"
import { PipelineRequests, type Service } from "@ubiops-effect/core/PipelineRequests"
import { ServerError, TransportError } from "@ubiops-effect/core/UbiOpsError"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Cause, Chunk, Effect, Exit, Fiber, Layer, Option, Stream, SubscriptionRef } from "effect"
import * as Batch from "../src/Batch.js"
import * as Progress from "../src/Progress.js"
import * as Reconciliation from "../src/Reconciliation.js"
import { demoEcho, demoSleep, testProject } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"
import { itOnTestClock } from "./utils/testClock.js"

const environment = Layer.merge(Emulator.layerPipelineRequests({ projects: [testProject] }), KeyValueStore.layerMemory)

const dropped = new TransportError({
  operation: "batchPipelineRequestsCreate",
  method: "POST",
  path: "/v2.1/projects/demo/pipelines/echo/requests/batch",
  mayHaveReachedServer: true,
  reason: "ECONNRESET"
})

const unavailable = new ServerError({
  operation: "batchPipelineRequestsCreate",
  method: "POST",
  path: "/v2.1/projects/demo/pipelines/echo/requests/batch",
  status: 502,
  serverMessage: "<html>Bad Gateway</html>"
})

/**
 * The service with chosen creates failing: `after` ones once the server stored the requests (the answer is lost),
 * `before` ones without reaching it, `hang` ones stored and then never answering (a process that dies there).
 */
const faulty = (
  service: Service,
  fates: Record<number, "after" | "before" | "hang" | "slowAfter">
): Service & { readonly creates: () => number } => {
  let calls = 0
  return {
    ...service,
    creates: () => calls,
    createBatch: (target, data, options) =>
      Effect.suspend(() => {
        const fate = fates[calls++]
        if (fate === "before") return Effect.fail(unavailable)
        const create = service.createBatch(target, data, options)
        if (fate === "after") return Effect.zipRight(create, Effect.fail(dropped))
        if (fate === "slowAfter") return Effect.zipRight(create, Effect.zipRight(Effect.sleep("150 millis"), dropped))
        if (fate === "hang") return Effect.zipRight(create, Effect.never)
        return create
      })
  }
}

/** Each input exactly one result, run on that input; the server holds exactly one request per input. */
const assertExactlyOnce = <I>(inputs: ReadonlyArray<I>, results: ReadonlyArray<Batch.Result<I>>) =>
  Effect.gen(function*() {
    assert.strictEqual(results.length, inputs.length)
    const indices = new Set(results.map((result) => result.index))
    assert.strictEqual(indices.size, inputs.length, "every input once")
    for (const result of results) {
      assert.strictEqual(result.input, inputs[result.index])
      assert.deepStrictEqual("detail" in result ? result.detail.request_data : "gone", inputs[result.index])
      assert.strictEqual(result.status, "completed")
    }
    const stats = yield* Emulator.stats
    assert.strictEqual(stats.created.total, inputs.length, "nothing created twice")
    return stats
  })

describe("Reconciliation.match", () => {
  it("matches canonical JSON as a multiset, readable before cancelled, oldest first", () => {
    const details = [
      {
        id: "r1",
        request_data: { b: 1, a: [1, { y: 2, x: 1 }] },
        status: "completed",
        time_created: "2024-01-01T00:00:02Z"
      },
      {
        id: "r2",
        request_data: { a: [1, { x: 1, y: 2 }], b: 1 },
        status: "cancelled",
        time_created: "2024-01-01T00:00:00Z"
      },
      {
        id: "r3",
        request_data: { a: [1, { x: 1, y: 2 }], b: 1 },
        status: "pending",
        time_created: "2024-01-01T00:00:01Z"
      },
      { id: "r4", request_data: null, status: "completed", time_created: "2024-01-01T00:00:01Z" },
      { id: "r5", request_data: "plain text", status: "completed", time_created: "2024-01-01T00:00:01Z" }
    ] as const
    const same = { a: [1, { x: 1, y: 2 }], b: 1 }
    const { ids, unreadable } = Reconciliation.match(
      [same, { other: true }, same, "plain text", same, same, { a: [{ x: 1, y: 2 }, 1], b: 1 }],
      details
    )
    assert.deepStrictEqual(ids, ["r3", undefined, "r1", "r5", "r2", undefined, undefined])
    assert.strictEqual(unreadable, 1)
  })

  it("canonical JSON follows JSON.stringify: undefined fields left out, toJSON used, key order ignored", () => {
    assert.strictEqual(
      Reconciliation.canonicalJson({ z: undefined, b: [undefined, 2], a: new Date(0) }),
      `{"a":"1970-01-01T00:00:00.000Z","b":[null,2]}`
    )
    assert.strictEqual(Reconciliation.canonicalJson({ b: 1, a: 2 }), Reconciliation.canonicalJson({ a: 2, b: 1 }))
    assert.notStrictEqual(Reconciliation.canonicalJson([1, 2]), Reconciliation.canonicalJson([2, 1]))
  })
})

describe("Batch.run with creates that fail ambiguously", () => {
  itOnTestClock(
    "adopts what a dropped create made, creates again what a failed one did not: once each",
    () =>
      Effect.gen(function*() {
        const service = faulty(yield* PipelineRequests, { 1: "after", 3: "before", 4: "after", 6: "before" })
        const inputs = Array.from({ length: 1_000 }, (_, n) => ({ n }))
        const results = yield* Batch.run(demoEcho, inputs, { chunkSize: 100 }).pipe(
          Stream.runCollect,
          Effect.provideService(PipelineRequests, service)
        )
        const stats = yield* assertExactlyOnce(inputs, Chunk.toReadonlyArray(results))
        // 10 chunks; the two that failed before acceptance were sent again, the two dropped after it were not
        assert.strictEqual(service.creates(), 12)
        assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 10)
      }).pipe(Effect.provide(environment))
  )

  itOnTestClock(
    "identical inputs, within and across chunks, each get a request of their own",
    () =>
      Effect.gen(function*() {
        yield* Emulator.setFaults({ seed: 7, dropAfterAccept: 0.25, dropBeforeAccept: 0.15 })
        // 7 distinct values over 2,000 inputs: every chunk holds many copies of each, and so do its neighbours
        const inputs = Array.from({ length: 2_000 }, (_, n) => ({ v: n % 7 }))
        const results = Chunk.toReadonlyArray(
          yield* Stream.runCollect(Batch.run(demoEcho, inputs, { chunkSize: 100, concurrency: 4 }))
        )
        yield* assertExactlyOnce(inputs, results)
        const ids = new Set(results.map((result) => "requestId" in result ? result.requestId : undefined))
        assert.strictEqual(ids.size, inputs.length, "no request given to two inputs")
        const stats = yield* Emulator.stats
        assert.isAbove(stats.dropped.afterAccept, 2)
        assert.isAbove(stats.dropped.beforeAccept, 1)
      }).pipe(Effect.provide(environment))
  )

  itOnTestClock(
    "resumes a chunk whose create was under way when the run stopped: adopted, not created again",
    () =>
      Effect.gen(function*() {
        const store = yield* KeyValueStore.KeyValueStore
        const inputs = Array.from({ length: 600 }, (_, n) => ({ n }))
        const options = {
          checkpoint: { store, key: "intent" },
          chunkSize: 100,
          concurrency: 2,
          onInterrupt: "detach",
          interruptTimeout: "100 millis"
        } as const
        // the third create reaches the server and its answer never comes: the process dies there
        const first = faulty(yield* PipelineRequests, { 2: "hang" })
        const progress = yield* Progress.make()
        const fiber = yield* Batch.run(demoEcho, inputs, { ...options, progress }).pipe(
          Stream.runDrain,
          Effect.provideService(PipelineRequests, first),
          Effect.fork
        )
        while ((yield* Emulator.stats).created.total < 300) yield* Effect.sleep("2 millis")
        yield* Fiber.interrupt(fiber)
        assert.strictEqual((yield* SubscriptionRef.get(progress)).interruption?.unknownCreates, 100)
        const intent = yield* store.get("intent/i/2/1")
        assert.isTrue(Option.isSome(intent), "the intent of the chunk in flight is recorded")
        const createdBefore = (yield* Emulator.stats).created.total

        const recorder = new Recorder()
        const second = recorder.wrap(yield* PipelineRequests)
        const results = yield* Batch.run(demoEcho, inputs, options).pipe(
          Stream.runCollect,
          Effect.provideService(PipelineRequests, second)
        )
        const byIndex = new Map(Chunk.toReadonlyArray(results).map((result) => [result.index, result]))
        for (let n = 200; n < 300; n++) {
          assert.deepStrictEqual(
            ((result) => result !== undefined && "detail" in result ? result.detail.request_data : "gone")(
              byIndex.get(n)
            ),
            { n },
            `input ${n} has its adopted result`
          )
        }
        const stats = yield* Emulator.stats
        assert.strictEqual(stats.created.total, 600, "nothing created twice")
        assert.strictEqual(recorder.createdIds, 600 - createdBefore, "the resumed run created only what was missing")
        assert.isAbove(recorder.lists.length, 2, "it listed to find out")
        assert.strictEqual(yield* store.size, 3, "a finished run keeps only its record and its progress slots")
      }).pipe(Effect.provide(environment))
  )

  itOnTestClock(
    "interrupted while a create fails ambiguously: finds what it made and cancels it too",
    () =>
      Effect.gen(function*() {
        const service = faulty(yield* PipelineRequests, { 2: "slowAfter" })
        const progress = yield* Progress.make()
        const fiber = yield* Batch.run(demoSleep, Array.from({ length: 1_000 }, (_, n) => ({ seconds: 30, n })), {
          chunkSize: 100,
          concurrency: 1,
          progress
        }).pipe(Stream.runDrain, Effect.provideService(PipelineRequests, service), Effect.fork)
        while ((yield* Emulator.stats).created.total < 300) yield* Effect.sleep("2 millis")
        yield* Fiber.interrupt(fiber)
        const stats = yield* Emulator.stats
        assert.strictEqual(stats.created.total, 300, "no create went out after the interruption")
        assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0, "nothing left queued or running")
        const report = (yield* SubscriptionRef.get(progress)).interruption
        assert.strictEqual(report?.outstanding, 300)
        assert.strictEqual(report?.cancelled, 300)
        assert.strictEqual(report?.unknownCreates, 0)
      }).pipe(Effect.provide(environment))
  )

  itOnTestClock(
    "gives up after maxAttempts ambiguous creates, having cancelled what it found",
    () =>
      Effect.gen(function*() {
        const service = faulty(yield* PipelineRequests, { 0: "before", 1: "before", 2: "before" })
        const exit = yield* Batch.run(demoSleep, [{ seconds: 30 }], { reconcile: { maxAttempts: 3 } }).pipe(
          Stream.runDrain,
          Effect.provideService(PipelineRequests, service),
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "Bad Gateway")
        assert.strictEqual(service.creates(), 3)
      }).pipe(Effect.provide(environment))
  )
})

describe("Batch.run when request_data cannot be read (retention none or metadata)", () => {
  const unreadable = (service: Service): Service => ({
    ...service,
    collect: (target, ids, options) =>
      Effect.map(
        service.collect(target, ids, options),
        (details) =>
          details.map((detail) =>
            Object.assign(Object.create(Object.getPrototypeOf(detail)), detail, { request_data: null })
          )
      )
  })

  itOnTestClock(
    "a create that failed before acceptance is created again: nothing unreadable in its window",
    () =>
      Effect.gen(function*() {
        const service = unreadable(faulty(yield* PipelineRequests, { 1: "before" }))
        const inputs = Array.from({ length: 300 }, (_, n) => ({ n }))
        const results = yield* Batch.run(demoEcho, inputs, { chunkSize: 100 }).pipe(
          Stream.runCollect,
          Effect.provideService(PipelineRequests, service)
        )
        assert.strictEqual(Chunk.size(results), 300)
        assert.strictEqual((yield* Emulator.stats).created.total, 300)
      }).pipe(Effect.provide(environment))
  )

  itOnTestClock(
    "a create dropped after acceptance fails the run with UncertainCreate, creating nothing again",
    () =>
      Effect.gen(function*() {
        const service = unreadable(faulty(yield* PipelineRequests, { 1: "after" }))
        const inputs = Array.from({ length: 300 }, (_, n) => ({ seconds: 30, n }))
        const progress = yield* Progress.make()
        const exit = yield* Batch.run(demoSleep, inputs, { chunkSize: 100, concurrency: 1, progress }).pipe(
          Stream.runDrain,
          Effect.provideService(PipelineRequests, service),
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit))
        const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
        assert.strictEqual(failure?._tag, "UncertainCreate")
        assert.include(failure?.message, "inputs 100, 101, 102, 103, 104, ... (100 in all)")
        const stats = yield* Emulator.stats
        assert.strictEqual(stats.created.total, 200, "nothing created twice")
        const report = (yield* SubscriptionRef.get(progress)).interruption
        assert.strictEqual(report?.unknownCreates, 100)
      }).pipe(Effect.provide(environment))
  )

  itOnTestClock(
    "with onUncertain: resubmit, creates them again: every input a result, perhaps run twice",
    () =>
      Effect.gen(function*() {
        const service = unreadable(faulty(yield* PipelineRequests, { 1: "after" }))
        const inputs = Array.from({ length: 300 }, (_, n) => ({ n }))
        const results = yield* Batch.run(demoEcho, inputs, { chunkSize: 100, reconcile: { onUncertain: "resubmit" } })
          .pipe(
            Stream.runCollect,
            Effect.provideService(PipelineRequests, service)
          )
        assert.strictEqual(new Set(Chunk.toReadonlyArray(results).map((result) => result.index)).size, 300)
        assert.strictEqual((yield* Emulator.stats).created.total, 400)
      }).pipe(Effect.provide(environment))
  )
})
