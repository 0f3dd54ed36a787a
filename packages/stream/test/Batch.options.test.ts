/**
 * Invalid options fail one way everywhere: `InvalidRequest` in the stream's error channel, before any call. And a
 * poll round that got an answer the client cannot read (`DecodeError`) is not made again: core does not retry it
 * either. The emulator is shared by the suite: nothing here depends on what the others created.
 */
import { assert, layer } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import { DecodeError, InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import { Cause, Effect, Exit, Option, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as Listing from "../src/Listing.js"
import * as PollSchedule from "../src/PollSchedule.js"
import { demoEcho } from "./utils/projects.js"
import { Recorder } from "./utils/Recorder.js"
import { onTestClock } from "./utils/testClock.js"

const failureOf = <A, E, R>(stream: Stream.Stream<A, E, R>): Effect.Effect<E | undefined, never, R> =>
  Effect.map(
    Effect.exit(Stream.runDrain(stream)),
    (exit) => Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
  )

layer(Emulator.layerPipelineRequests())("invalid options", (it) => {
  it.effect("fail the stream with InvalidRequest naming the option, and send nothing", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const service = recorder.wrap(yield* PipelineRequests)
      const inputs = [{ n: 1 }]
      const cases: ReadonlyArray<Stream.Stream<unknown, unknown, PipelineRequests>> = [
        Batch.run(demoEcho, inputs, { chunkSize: 251 }),
        Batch.run(demoEcho, inputs, { concurrency: 0 }),
        Batch.run(demoEcho, inputs, { window: 100, chunkSize: 250 }),
        Batch.run(demoEcho, inputs, { pollRetries: -1 }),
        Batch.run(demoEcho, inputs, { schedule: { factor: 0.5 } }),
        Batch.submit(demoEcho, inputs, { chunkSize: 0 }),
        Batch.submit(demoEcho, inputs, { reconcile: { maxAttempts: 0 } }),
        Batch.poll(demoEcho, ["a"], { window: 1.5 }),
        Batch.poll(demoEcho, ["a"], { pollConcurrency: 0 }),
        Listing.listAll(demoEcho, { pageSize: 51 }),
        Batch.listAll(demoEcho, { pageSize: 0 })
      ]
      const names = [
        "chunkSize",
        "concurrency",
        "window",
        "pollRetries",
        "factor",
        "chunkSize",
        "maxAttempts",
        "window",
        "pollConcurrency",
        "pageSize",
        "pageSize"
      ]
      for (let i = 0; i < cases.length; i++) {
        const error = yield* failureOf(cases[i].pipe(Stream.provideService(PipelineRequests, service)))
        assert.instanceOf(error, InvalidRequest, `case ${i}`)
        assert.include((error as InvalidRequest).reason, names[i], `case ${i}`)
      }
      assert.strictEqual(recorder.createdIds, 0)
      assert.strictEqual(recorder.collectAttempts, 0)
    }))

  it("PollSchedule.resolve, a plain function, throws on the options PollSchedule.validate refuses", () => {
    assert.isTrue(PollSchedule.validate({ factor: 0.5 })._tag === "Left")
    assert.throws(() => PollSchedule.resolve({ factor: 0.5 }), RangeError)
    assert.isTrue(PollSchedule.validate(undefined)._tag === "Right")
  })

  it.effect("a poll round that could not be read is not made again", () =>
    Effect.gen(function*() {
      const recorder = new Recorder()
      const unreadable = new DecodeError({
        operation: "pipelineRequestsBatchGet",
        method: "POST",
        path: "/projects/demo/pipelines/echo/requests/collect",
        status: 200,
        issue: "expected an array",
        bodyExcerpt: "{}"
      })
      const service = recorder.wrap(yield* PipelineRequests, {
        beforeCollect: (call) => call === 0 ? Effect.fail(unreadable) : Effect.void
      })
      const error = yield* onTestClock(failureOf(
        Batch.run(demoEcho, [{ n: 1 }], { pollRetries: 3 }).pipe(Stream.provideService(PipelineRequests, service))
      ))
      assert.instanceOf(error, DecodeError)
      // one failed poll, not made again (the other collects are the cancel's check of what it cancelled)
      assert.strictEqual(recorder.collectAttempts - recorder.collects.length, 1)
    }))
})
