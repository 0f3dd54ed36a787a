import { assert, describe, it } from "@effect/vitest"
import * as Pipeline from "@ubiops-effect/core/Pipeline"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import { ServerError } from "@ubiops-effect/core/UbiOpsError"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Chunk, Effect, Exit, Schema, Stream, SubscriptionRef } from "effect"
import * as Batch from "../src/Batch.js"
import * as Progress from "../src/Progress.js"
import { demoEcho, demoSleep, maybeFail, testProject } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"
import { onTestClock } from "./utils/testClock.js"

const emulator = Emulator.layerPipelineRequests({ projects: [testProject] })

const numbered = (count: number) => Array.from({ length: count }, (_, n) => ({ n }))

describe("Batch.run", () => {
  it.live("gives 10,000 inputs exactly one result each, with its input, in completion order", () =>
    Effect.gen(function*() {
      const inputs = numbered(10_000)
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(Batch.run(demoEcho, inputs)))
      assert.strictEqual(results.length, inputs.length)
      const seen = new Set<number>()
      for (const result of results) {
        assert.isFalse(seen.has(result.index), `index ${result.index} twice`)
        seen.add(result.index)
        assert.strictEqual(result.input, inputs[result.index])
        assert.strictEqual(result.status, "completed")
        // echo returns its input: the server ran this request on this input
        assert.deepStrictEqual(result.status === "completed" ? result.output : undefined, { n: result.index })
        assert.deepStrictEqual("detail" in result ? result.detail.request_data : "gone", { n: result.index })
      }
      assert.strictEqual(seen.size, inputs.length)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.total, 10_000)
      assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 40)
    }).pipe(Effect.provide(emulator)))

  it.live("emits in input order when asked, also when requests finish out of order", () =>
    Effect.gen(function*() {
      // later inputs finish first: 2 workers, earlier inputs sleep longer
      const inputs = Array.from({ length: 12 }, (_, i) => ({ seconds: (12 - i) * 0.02 }))
      const ordered = yield* Stream.runCollect(Batch.run(demoSleep, inputs, { order: "input", chunkSize: 3 }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(ordered).map((result) => result.index), inputs.map((_, i) => i))
      const big = numbered(10_000)
      const results = Chunk.toReadonlyArray(
        yield* Stream.runCollect(Batch.run(demoEcho, big, { order: "input", window: 1000 }))
      )
      assert.strictEqual(results.length, big.length)
      results.forEach((result, i) => {
        assert.strictEqual(result.index, i)
        assert.strictEqual(result.input, big[i])
      })
    }).pipe(Effect.provide(emulator)))

  it.effect("makes a failed pipeline run a result with its error message, and goes on", () =>
    onTestClock(Effect.gen(function*() {
      const inputs = Array.from({ length: 600 }, (_, n) => ({ n, fail: n % 7 === 0 }))
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(Batch.run(maybeFail, inputs)))
      assert.strictEqual(results.length, 600)
      for (const result of results) {
        if (result.input.fail) {
          assert.strictEqual(result.status, "failed")
          assert.include(result.status === "failed" ? result.errorMessage : "", "asked to fail")
        } else {
          assert.strictEqual(result.status, "completed")
          assert.deepStrictEqual(result.status === "completed" ? result.output : undefined, {
            doubled: result.input.n * 2
          })
        }
      }
      assert.strictEqual(results.filter((result) => result.status === "failed").length, 86)
    })).pipe(Effect.provide(emulator)))

  it.effect("decodes outputs over a typed Pipeline, and turns a failed run or a bad output into a typed failure", () =>
    onTestClock(Effect.gen(function*() {
      const Double = Pipeline.make({
        ...maybeFail,
        input: Schema.Struct({ n: Schema.Number, fail: Schema.optional(Schema.Boolean) }),
        output: Schema.Struct({ doubled: Schema.Number })
      })
      const results = Chunk.toReadonlyArray(
        yield* Stream.runCollect(Batch.run(Double, [{ n: 1 }, { n: 2, fail: true }, { n: 3 }], { order: "input" }))
      )
      const [first, second, third] = results
      assert.strictEqual(first.status, "completed")
      if (first.status === "completed") assert.strictEqual(first.output.doubled, 2)
      assert.strictEqual(third.status === "completed" ? third.output.doubled : undefined, 6)
      assert.strictEqual(second.status, "failed")
      if (second.status === "failed") {
        assert.strictEqual(second.error?._tag, "PipelineRequestFailed")
        assert.include(second.error?.message ?? "", "asked to fail")
      }

      const Wrong = Pipeline.make({
        ...demoEcho,
        input: Schema.Struct({ n: Schema.Number }),
        output: Schema.Struct({ text: Schema.String })
      })
      const [wrong] = yield* Stream.runCollect(Batch.run(Wrong, [{ n: 1 }])).pipe(Effect.map(Chunk.toReadonlyArray))
      assert.strictEqual(wrong.status, "failed")
      if (wrong.status === "failed") assert.strictEqual(wrong.error?._tag, "OutputDecodeError")
    })).pipe(Effect.provide(emulator)))

  it.live("submits in chunks of at most chunkSize with at most `concurrency` creates in flight", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests, { beforeCreate: () => Effect.sleep("5 millis") })
      const results = yield* Batch.run(demoEcho, numbered(2_000), { chunkSize: 100, concurrency: 3 }).pipe(
        Stream.runCount,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(results, 2_000)
      assert.strictEqual(recorder.creates.length, 20)
      assert.isTrue(recorder.creates.every((call) => call.inputs === 100))
      assert.strictEqual(recorder.maxCreatesInFlight, 3)
      assert.isTrue(recorder.collects.every((call) => call.ids.length <= 250))
      assert.deepStrictEqual(recorder.askedForTerminal(), [])
    }).pipe(Effect.provide(emulator)))

  it.live("keeps at most `window` requests in flight and pulls inputs lazily", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      let pulled = 0
      function* inputs() {
        for (let n = 0; n < 20_000; n++) {
          pulled++
          yield { n }
        }
      }
      let emitted = 0
      let maxInFlight = 0
      let maxPulledAhead = 0
      yield* Batch.run(demoEcho, inputs(), { window: 500, chunkSize: 100 }).pipe(
        Stream.runForEach(() =>
          Effect.sync(() => {
            emitted++
            maxInFlight = Math.max(maxInFlight, recorder.createdIds - emitted)
            maxPulledAhead = Math.max(maxPulledAhead, pulled - emitted)
          })
        ),
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(emitted, 20_000)
      assert.isAtMost(maxInFlight, 500)
      // the window, a chunk waiting for room, and one read-ahead of `Stream.fromIterable` (4096)
      assert.isAtMost(maxPulledAhead, 500 + 100 + 4096)
    }).pipe(Effect.provide(emulator)))

  it.effect("takes inputs from an AsyncIterable and from a Stream", () =>
    onTestClock(Effect.gen(function*() {
      async function* asyncInputs() {
        for (let n = 0; n < 300; n++) yield { n }
      }
      const fromAsync = yield* Stream.runCollect(Batch.run(demoEcho, asyncInputs(), { order: "input" }))
      assert.deepStrictEqual(
        Chunk.toReadonlyArray(fromAsync).map((result) => result.input.n),
        numbered(300).map((x) => x.n)
      )
      const fromStream = yield* Stream.runCount(
        Batch.run(demoEcho, Stream.range(1, 300).pipe(Stream.map((n) => ({ n }))))
      )
      assert.strictEqual(fromStream, 300)
    })).pipe(Effect.provide(emulator)))

  it.effect("fails on an API error that survives the retries, after cancelling what is outstanding", () =>
    onTestClock(Effect.gen(function*() {
      const recorder = new Recorder()
      const boom = new ServerError({
        operation: "pipelineRequestsBatchGet",
        method: "POST",
        path: "/projects/demo/pipelines/sleep/requests/collect",
        status: 503,
        serverMessage: "unavailable"
      })
      const service = recorder.wrap(yield* PipelineRequests, {
        beforeCollect: (call) => call === 2 || call === 3 ? Effect.fail(boom) : Effect.void
      })
      const progress = yield* Progress.make()
      const exit = yield* Batch.run(demoSleep, Array.from({ length: 40 }, () => ({ seconds: 30 })), {
        progress,
        pollRetries: 1
      }).pipe(
        Stream.runDrain,
        Effect.provideService(PipelineRequests, service),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      // the failed round was made once more, a second later, before the run gave up
      assert.strictEqual(recorder.collectAttempts - recorder.collects.length, 2)
      assert.deepStrictEqual(Exit.isFailure(exit) ? exit.cause._tag : "", "Fail")
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0)
      assert.strictEqual(stats.statuses.cancelled, 40)
      const snapshot = yield* SubscriptionRef.get(progress)
      assert.strictEqual(snapshot.phase, "failed")
      assert.strictEqual(snapshot.interruption?.cancelled, 40)
    })).pipe(Effect.provide(emulator)))

  it.effect("makes a poll round again when its collect failed after the client's retries, and goes on", () =>
    onTestClock(Effect.gen(function*() {
      const recorder = new Recorder()
      const boom = new ServerError({
        operation: "pipelineRequestsBatchGet",
        method: "POST",
        path: "/projects/demo/pipelines/echo/requests/collect",
        status: 503,
        serverMessage: "unavailable"
      })
      const service = recorder.wrap(yield* PipelineRequests, {
        beforeCollect: (call) => call === 1 || call === 2 ? Effect.fail(boom) : Effect.void
      })
      const inputs = Array.from({ length: 600 }, (_, n) => ({ n }))
      const results = yield* Batch.run(demoEcho, inputs).pipe(
        Stream.runCollect,
        Effect.provideService(PipelineRequests, service)
      )
      assert.strictEqual(new Set(Chunk.toReadonlyArray(results).map((result) => result.index)).size, 600)
    })).pipe(Effect.provide(emulator)))

  it.effect("reports progress while it goes and at the end", () =>
    onTestClock(Effect.gen(function*() {
      const progress = yield* Progress.make()
      const snapshots: Array<Progress.Snapshot> = []
      const inputs = Array.from({ length: 1_000 }, (_, n) => ({ n, fail: n % 10 === 0 }))
      yield* Batch.run(maybeFail, inputs, { progress, chunkSize: 100 }).pipe(
        Stream.runForEach(() =>
          Effect.flatMap(SubscriptionRef.get(progress), (s) => Effect.sync(() => snapshots.push(s)))
        )
      )
      const last = yield* SubscriptionRef.get(progress)
      assert.strictEqual(last.phase, "completed")
      assert.strictEqual(last.total, 1_000)
      assert.strictEqual(last.submitted, 1_000)
      assert.strictEqual(last.completed, 900)
      assert.strictEqual(last.failed, 100)
      assert.strictEqual(last.cancelled, 0)
      assert.strictEqual(last.emitted, 1_000)
      assert.strictEqual(last.pending + last.processing, 0)
      assert.isAbove(last.elapsedMillis, 0)
      assert.isAbove(last.resultsPerSecond, 0)
      for (let i = 1; i < snapshots.length; i++) {
        assert.isAtLeast(Progress.finished(snapshots[i]), Progress.finished(snapshots[i - 1]))
        assert.isAtMost(snapshots[i].emitted, snapshots[i].submitted)
      }
      assert.isTrue(snapshots.some((s) => s.phase === "running" && s.emitted < 1_000))
    })).pipe(Effect.provide(emulator)))

  it.effect("ends at once with no inputs", () =>
    onTestClock(Effect.gen(function*() {
      const progress = yield* Progress.make()
      assert.strictEqual(yield* Stream.runCount(Batch.run(demoEcho, [], { progress })), 0)
      assert.strictEqual((yield* SubscriptionRef.get(progress)).phase, "completed")
      assert.strictEqual((yield* Emulator.stats).created.total, 0)
    })).pipe(Effect.provide(emulator)))

  it.effect("Batch.poll leaves the requests alone when stopped", () =>
    onTestClock(Effect.gen(function*() {
      const service = yield* PipelineRequests
      const created = yield* service.createBatch(
        demoSleep,
        Array.from({ length: 8 }, (_, i) => ({ seconds: i < 4 ? 0 : 30 }))
      )
      const first = yield* Batch.poll(demoSleep, created.map((item) => item.id)).pipe(Stream.take(4), Stream.runCollect)
      assert.strictEqual(Chunk.size(first), 4)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.statuses.cancelled, 0)
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 4)
    })).pipe(Effect.provide(emulator)))
})
