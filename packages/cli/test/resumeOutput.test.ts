/**
 * `--resume` over an output that was damaged after the run (issue 15, item 2): cut short or deleted, it is completed
 * from the results the server still holds (no request created again), and lines whose requests are gone are named.
 * The built executable, against the emulator's HTTP server on 127.0.0.1.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer } from "effect"
import { run } from "./utils/cli.js"
import { readOutput, tempDirectory, writeLines } from "./utils/files.js"

const token = "resume-output-token"

const emulator = Layer.merge(EmulatorServer.layerWithEmulator({ port: 0, token }), NodeContext.layer)

const lineCount = 2_000

/** A finished run of `lineCount` lines on `demo/echo`: its arguments, connection and output. */
const finishedRun = (extra: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const server = yield* EmulatorServer.EmulatorServer
    const directory = yield* tempDirectory
    const input = `${directory}/in.jsonl`
    const output = `${directory}/out.jsonl`
    yield* writeLines(input, Array.from({ length: lineCount }, (_, n) => JSON.stringify({ n })))
    const args = [
      "batch",
      "--project",
      "demo",
      "--pipeline",
      "echo",
      "--no-progress",
      "--input",
      input,
      "--output",
      output,
      ...extra
    ]
    const env = { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }
    const first = yield* run(args, env)
    assert.strictEqual(first.code, 0, first.printed)
    return { args, env, output }
  })

/** Each input line once in the output, with the result of its own input. */
const assertComplete = (output: string) =>
  Effect.gen(function*() {
    const lines = yield* readOutput(output)
    assert.strictEqual(lines.length, lineCount)
    assert.strictEqual(new Set(lines.map((line) => line.index)).size, lineCount)
    for (const line of lines) {
      assert.strictEqual(line.status, "completed")
      assert.deepStrictEqual(line.result, { n: line.index })
    }
  })

describe("--resume checks the output against what was written", () => {
  it.live(
    "an output cut to 60% is completed from the server's results, nothing created again",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { args, env, output } = yield* finishedRun()
        const created = (yield* Emulator.stats).created.total
        const bytes = yield* fs.readFile(output)
        const cut = bytes.slice(0, Math.floor(bytes.length * 0.6))
        yield* fs.writeFile(output, cut)

        const resumed = yield* run([...args, "--resume"], env)
        assert.strictEqual(resumed.code, 0, resumed.printed)
        assert.match(resumed.printed, /lacked \d+ lines an earlier run wrote: \d+ written again/)
        yield* assertComplete(output)
        assert.isBelow(cut.filter((byte) => byte === 10).length, lineCount * 0.61)
        assert.strictEqual((yield* Emulator.stats).created.total, created, "no request created again")
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    60_000
  )

  it.live("an ordered output cut short is completed in input order", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { args, env, output } = yield* finishedRun(["--ordered"])
      const bytes = yield* fs.readFile(output)
      yield* fs.writeFile(output, bytes.slice(0, Math.floor(bytes.length * 0.3)))
      const resumed = yield* run([...args, "--resume"], env)
      assert.strictEqual(resumed.code, 0, resumed.printed)
      yield* assertComplete(output)
      assert.deepStrictEqual(
        (yield* readOutput(output)).map((line) => line.index),
        Array.from({ length: lineCount }, (_, n) => n)
      )
    }).pipe(Effect.scoped, Effect.provide(emulator)), 60_000)

  it.live(
    "a deleted output is written again; lines whose requests the server lost are named, exit 1",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { args, env, output } = yield* finishedRun()
        const created = (yield* Emulator.stats).created.total
        const before = yield* readOutput(output)
        // the server no longer has the requests of lines 7 and 1,500
        const gone = before.filter((line) => line.index === 7 || line.index === 1_500).map((line) => line.requestId!)
        const service = yield* Emulator.makePipelineRequests
        yield* service.deleteBatch({ project: "demo", pipeline: "echo" }, gone)
        yield* fs.remove(output)

        const resumed = yield* run([...args, "--resume"], env)
        assert.strictEqual(resumed.code, 1, resumed.printed)
        assert.include(resumed.printed, "lacks the lines with index 7, 1500, which an earlier run wrote")
        assert.strictEqual((yield* readOutput(output)).length, lineCount - 2)
        assert.strictEqual((yield* Emulator.stats).created.total, created, "no request created again")

        // the same again: it still cannot write them, and says so
        const again = yield* run([...args, "--resume"], env)
        assert.strictEqual(again.code, 1, again.printed)
        assert.include(again.printed, "index 7, 1500")
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    60_000
  )
})
