import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { PipelineRequests, type Service } from "@ubiops-effect/core/PipelineRequests"
import { TransportError } from "@ubiops-effect/core/UbiOpsError"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as Batch from "@ubiops-effect/stream/Batch"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import * as BatchJob from "../src/BatchJob.js"
import { readOutput, tempDirectory, writeLines } from "./utils/files.js"
import { testProject } from "./utils/projects.js"

const environment = Layer.merge(Emulator.layerPipelineRequests({ projects: [testProject] }), NodeContext.layer)

const job = (directory: string, options: Partial<BatchJob.Options> = {}): BatchJob.Options => ({
  target: { project: "test", pipeline: "maybe-fail" },
  input: `${directory}/in.jsonl`,
  output: `${directory}/out.jsonl`,
  inputType: "structured",
  onInvalid: "fail",
  resume: false,
  ordered: false,
  showProgress: false,
  log: () => Effect.void,
  ...options
})

const numbered = (count: number, line: (n: number) => string = (n) => JSON.stringify({ n })) =>
  Array.from({ length: count }, (_, n) => line(n))

describe("BatchJob.run", () => {
  it("has Batch.run's concurrency by default (the help states it without loading the stream package)", () => {
    assert.strictEqual(BatchJob.defaults.concurrency, Batch.defaults.concurrency)
  })

  it.live("writes one output line per input line, with the line's index, the request id and the result", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      yield* writeLines(`${directory}/in.jsonl`, numbered(1_200, (n) => JSON.stringify({ n, fail: n % 100 === 7 })))
      const summary = yield* BatchJob.run(job(directory))
      const output = yield* readOutput(`${directory}/out.jsonl`)
      assert.strictEqual(output.length, 1_200)
      assert.deepStrictEqual(new Set(output.map((line) => line.index)).size, 1_200)
      for (const line of output) {
        if (line.index % 100 === 7) {
          assert.deepStrictEqual(line.status, "failed")
          assert.strictEqual(
            line.error,
            "Error while processing a deployment request (object \"double\"): asked to fail"
          )
          assert.isNull(line.result)
        } else {
          assert.strictEqual(line.status, "completed")
          assert.deepStrictEqual(line.result, { doubled: line.index * 2 })
          assert.isNull(line.error)
        }
        assert.isString(line.requestId)
      }
      assert.deepStrictEqual(summary.counts, {
        completed: 1_188,
        failed: 12,
        cancelled: 0,
        gone: 0,
        unconfirmed: 0,
        invalid: 0
      })
      assert.strictEqual(summary.written, 1_200)
      assert.strictEqual((yield* Emulator.stats).created.total, 1_200)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("sends nothing when a line is invalid and invalid lines fail the run, and names the lines", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const lines = numbered(50)
      lines[9] = "{\"n\": 9"
      lines[30] = "[30]"
      yield* writeLines(`${directory}/in.jsonl`, lines)
      const exit = yield* Effect.exit(BatchJob.run(job(directory)))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.instanceOf(error, BatchJob.InvalidInput)
      assert.match(error!.message, /2 invalid lines, nothing was sent/)
      assert.match(error!.message, /line 10: not JSON/)
      assert.match(error!.message, /line 31: a structured pipeline takes a JSON object per line, got an array/)
      assert.strictEqual((yield* Emulator.stats).created.total, 0)
      assert.isFalse(yield* (yield* FileSystem.FileSystem).exists(`${directory}/out.jsonl`))
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("with invalid lines skipped, writes each as \"invalid\" with its reason, and ignores blank lines", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const lines = numbered(600)
      lines[0] = "not json"
      lines[299] = "\"a string\""
      lines[300] = ""
      lines[599] = "   "
      yield* writeLines(`${directory}/in.jsonl`, lines)
      const summary = yield* BatchJob.run(job(directory, { onInvalid: "skip" }))
      const output = yield* readOutput(`${directory}/out.jsonl`)
      assert.strictEqual(output.length, 598)
      const byIndex = new Map(output.map((line) => [line.index, line]))
      assert.deepStrictEqual(byIndex.get(0), {
        index: 0,
        requestId: null,
        status: "invalid",
        result: null,
        error: byIndex.get(0)!.error
      })
      assert.match(byIndex.get(0)!.error!, /^line 1: not JSON/)
      assert.match(byIndex.get(299)!.error!, /^line 300: a structured pipeline takes a JSON object per line/)
      assert.isFalse(byIndex.has(300))
      assert.isFalse(byIndex.has(599))
      assert.strictEqual(summary.blank, 2)
      assert.deepStrictEqual(summary.counts, {
        completed: 596,
        failed: 0,
        cancelled: 0,
        gone: 0,
        unconfirmed: 0,
        invalid: 2
      })
      assert.strictEqual((yield* Emulator.stats).created.total, 596)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("writes in input order when asked, invalid lines in their place, though requests finish out of order", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const lines = numbered(700)
      for (const bad of [0, 1, 250, 251, 699]) lines[bad] = "{"
      yield* writeLines(`${directory}/in.jsonl`, lines)
      yield* BatchJob.run(
        job(directory, { target: { project: "test", pipeline: "jitter" }, ordered: true, onInvalid: "skip" })
      )
      const output = yield* readOutput(`${directory}/out.jsonl`)
      assert.deepStrictEqual(output.map((line) => line.index), lines.map((_, n) => n))
      assert.deepStrictEqual(output.filter((line) => line.status === "invalid").map((line) => line.index), [
        0,
        1,
        250,
        251,
        699
      ])
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("sends each line of a plain pipeline as a string", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      yield* writeLines(`${directory}/in.jsonl`, ["\"héllo\"", "\"world\"", "{\"not\": \"a string\"}"])
      yield* BatchJob.run(
        job(directory, {
          target: { project: "demo", pipeline: "echo-plain" },
          inputType: "plain",
          onInvalid: "skip",
          ordered: true
        })
      )
      const output = yield* readOutput(`${directory}/out.jsonl`)
      assert.deepStrictEqual(output.map((line) => [line.status, line.result]), [
        ["completed", "héllo"],
        ["completed", "world"],
        ["invalid", null]
      ])
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("refuses to overwrite an output, and to resume an output with another input or pipeline", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const fs = yield* FileSystem.FileSystem
      yield* writeLines(`${directory}/in.jsonl`, numbered(10))
      yield* BatchJob.run(job(directory))

      const again = yield* Effect.flip(BatchJob.run(job(directory)))
      assert.strictEqual(again._tag, "OutputConflict")
      assert.match(again.message, /out\.jsonl exists: pass --resume/)

      const otherPipeline = yield* Effect.flip(
        BatchJob.run(job(directory, { resume: true, target: { project: "demo", pipeline: "echo" } }))
      )
      assert.strictEqual(otherPipeline._tag, "OutputConflict")
      assert.match(
        otherPipeline.message,
        /belongs to another run \(project was "test", now "demo"; pipeline was "maybe-fail", now "echo"\)/
      )

      yield* fs.writeFileString(`${directory}/in.jsonl`, numbered(11).join("\n"))
      const otherInput = yield* Effect.flip(BatchJob.run(job(directory, { resume: true })))
      assert.match(otherInput.message, /inputBytes was \d+, now \d+/)
      assert.strictEqual((yield* Emulator.stats).created.total, 10)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("refuses an output that is its input, under any name, before reading or changing a byte of it", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const fs = yield* FileSystem.FileSystem
      const input = `${directory}/in.jsonl`
      // no newline at the end: what a resume would cut off as an unfinished output line
      yield* fs.writeFileString(input, numbered(3).join("\n"))
      const before = yield* fs.readFileString(input)
      for (const output of [input, `${directory}/./in.jsonl`]) {
        for (const resume of [false, true]) {
          const refused = yield* Effect.flip(BatchJob.run(job(directory, { output, resume })))
          assert.strictEqual(refused._tag, "OutputConflict")
          assert.match(refused.message, /is the input and would be written as the output/)
        }
      }
      assert.strictEqual(yield* fs.readFileString(input), before)
      assert.strictEqual((yield* Emulator.stats).created.total, 0)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("leaves no output behind when it fails before anything was created, so that it can be run again", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const fs = yield* FileSystem.FileSystem
      yield* writeLines(`${directory}/in.jsonl`, numbered(10))
      const error = yield* Effect.flip(BatchJob.run(job(directory, { target: { project: "test", pipeline: "nope" } })))
      assert.strictEqual(error._tag, "NotFound")
      assert.isFalse(yield* fs.exists(`${directory}/out.jsonl`))
      assert.isFalse(yield* fs.exists(`${directory}/out.jsonl.checkpoint`))
      const summary = yield* BatchJob.run(job(directory))
      assert.strictEqual(summary.counts.completed, 10)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("resumes a finished run without writing or sending anything again", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      yield* writeLines(`${directory}/in.jsonl`, numbered(300))
      yield* BatchJob.run(job(directory))
      const summary = yield* BatchJob.run(job(directory, { resume: true }))
      assert.strictEqual(summary.alreadyWritten, 300)
      assert.strictEqual(summary.written, 0)
      assert.strictEqual((yield* readOutput(`${directory}/out.jsonl`)).length, 300)
      const stats = yield* Emulator.stats
      assert.strictEqual(stats.created.total, 300)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  it.live("on resume, writes what an earlier run left out and never an index the output already holds", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const fs = yield* FileSystem.FileSystem
      yield* writeLines(`${directory}/in.jsonl`, numbered(500))
      // the output of an earlier run that got 3 lines out and died writing a fourth, before any checkpoint
      yield* fs.writeFileString(
        `${directory}/out.jsonl`,
        [4, 250, 499].map((index) =>
          JSON.stringify({ index, requestId: "earlier", status: "completed", result: "earlier", error: null })
        ).join("\n") + "\n{\"index\": 7, \"requ"
      )
      const summary = yield* BatchJob.run(job(directory, { resume: true }))
      const output = yield* readOutput(`${directory}/out.jsonl`)
      assert.strictEqual(output.length, 500)
      assert.strictEqual(new Set(output.map((line) => line.index)).size, 500)
      assert.deepStrictEqual(output.filter((line) => line.requestId === "earlier").map((line) => line.index), [
        4,
        250,
        499
      ])
      assert.strictEqual(summary.alreadyWritten, 3)
      assert.strictEqual(summary.written, 497)
    }).pipe(Effect.scoped, Effect.provide(environment)))

  describe("a create the server may have accepted, when it cannot tell (no readable request_data)", () => {
    const dropped = new TransportError({
      operation: "batchPipelineRequestsCreate",
      method: "POST",
      path: "/v2.1/projects/test/pipelines/maybe-fail/requests/batch",
      mayHaveReachedServer: true,
      reason: "ECONNRESET"
    })
    /** No request_data can be read back; with `dropSecond`, the second create is accepted and its answer lost. */
    const unreadable = (service: Service, dropSecond: boolean): Service => {
      let creates = 0
      return {
        ...service,
        createBatch: (target, data, options) =>
          Effect.suspend(() =>
            dropSecond && creates++ === 1
              ? Effect.zipRight(service.createBatch(target, data, options), Effect.fail(dropped))
              : service.createBatch(target, data, options)
          ),
        collect: (target, ids, options) =>
          Effect.map(
            service.collect(target, ids, options),
            (details) =>
              details.map((detail) =>
                Object.assign(Object.create(Object.getPrototypeOf(detail)), detail, { request_data: null })
              )
          )
      }
    }
    const failureOf = <A, E>(exit: Exit.Exit<A, E>) =>
      Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

    it.live("fails naming the input lines (their output index), creates nothing twice; resubmit completes the run", () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory
        // line 0 is invalid and skipped: the valid lines' positions are one less than their indices
        yield* writeLines(`${directory}/in.jsonl`, ["not json", ...numbered(600).slice(1)])
        const service = yield* PipelineRequests
        const first = yield* BatchJob.run(job(directory, { onInvalid: "skip", concurrency: 1 })).pipe(
          Effect.provideService(PipelineRequests, unreadable(service, true)),
          Effect.exit
        )
        const failure = failureOf(first)
        assert.strictEqual(failure?._tag, "UncertainLines")
        const uncertain = failure as BatchJob.UncertainLines
        // the second chunk of 250 valid lines: lines 251 to 500
        assert.deepStrictEqual(uncertain.indices, Array.from({ length: 250 }, (_, k) => 251 + k))
        assert.include(uncertain.message, "index 251, 252, 253, 254, 255, ... (250 in all)")
        assert.include(uncertain.message, "--on-uncertain resubmit")
        assert.strictEqual((yield* Emulator.stats).created.total, 500, "nothing created twice")

        // resumed, the server still cannot tell: the same failure, still nothing created twice
        const again = yield* BatchJob.run(job(directory, { onInvalid: "skip", resume: true })).pipe(
          Effect.provideService(PipelineRequests, unreadable(service, false)),
          Effect.exit
        )
        assert.deepStrictEqual((failureOf(again) as BatchJob.UncertainLines | undefined)?.indices, uncertain.indices)
        assert.strictEqual((yield* Emulator.stats).created.total, 500)

        // resumed with resubmit: those lines are created again, and every line has its output line
        const summary = yield* BatchJob.run(
          job(directory, { onInvalid: "skip", resume: true, onUncertain: "resubmit" })
        )
          .pipe(Effect.provideService(PipelineRequests, unreadable(service, false)))
        const output = yield* readOutput(`${directory}/out.jsonl`)
        assert.strictEqual(output.length, 600)
        assert.strictEqual(new Set(output.map((line) => line.index)).size, 600)
        assert.strictEqual(summary.counts.invalid, 1)
        assert.strictEqual((yield* Emulator.stats).created.total, 849, "the 250 uncertain lines created again")
      }).pipe(Effect.scoped, Effect.provide(environment)))

    it.live("with --on-uncertain report, writes those lines as unconfirmed and runs nothing twice", () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory
        yield* writeLines(`${directory}/in.jsonl`, numbered(600))
        const service = yield* PipelineRequests
        const summary = yield* BatchJob.run(job(directory, { concurrency: 1, onUncertain: "report" })).pipe(
          Effect.provideService(PipelineRequests, unreadable(service, true))
        )
        const output = yield* readOutput(`${directory}/out.jsonl`)
        assert.strictEqual(output.length, 600)
        assert.strictEqual(new Set(output.map((line) => line.index)).size, 600)
        const unconfirmed = output.filter((line) => line.status === "unconfirmed").map((line) => line.index)
        // the second chunk of 250: lines 250 to 499
        assert.deepStrictEqual(unconfirmed.sort((a, b) => a - b), Array.from({ length: 250 }, (_, k) => 250 + k))
        assert.strictEqual(summary.counts.unconfirmed, 250)
        assert.strictEqual(summary.counts.completed, 350)
        assert.strictEqual((yield* Emulator.stats).created.total, 600, "nothing created twice")
      }).pipe(Effect.scoped, Effect.provide(environment)))
  })
})
