/**
 * One run at a time on an output (issue 15, item 2): a second run is refused while the first lives (exit 2); the lock
 * of a run that was killed does not block the next one, and the temporary files a kill left in the checkpoint
 * folder are removed by it. The built executable, against the emulator's HTTP server on 127.0.0.1.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer, Schedule } from "effect"
import { run, start } from "./utils/cli.js"
import { readOutput, tempDirectory, writeLines } from "./utils/files.js"

const token = "output-lock-token"

const emulator = Layer.merge(EmulatorServer.layerWithEmulator({ port: 0, token }), NodeContext.layer)

describe("the output's lock", () => {
  it.live(
    "a second run is refused while the first runs; after a kill -9 the next run goes on",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const server = yield* EmulatorServer.EmulatorServer
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        const output = `${directory}/out.jsonl`
        const checkpoint = `${output}.checkpoint`
        // 40 requests of 1 s on the sleep pipeline's few workers: the first run lasts several seconds
        yield* writeLines(input, Array.from({ length: 40 }, (_, n) => JSON.stringify({ seconds: 1, n })))
        const args = ["batch", "--project", "demo", "--pipeline", "sleep", "--no-progress", "--input", input]
        const env = { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }

        const first = yield* start([...args, "--output", output], env)
        yield* fs.exists(`${checkpoint}/lock`).pipe(
          Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (exists) => exists }),
          Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(first.printed()) })
        )
        const second = yield* run([...args, "--output", output, "--resume"], env)
        assert.strictEqual(second.code, 2, second.printed)
        assert.match(second.printed, /out\.jsonl is being written by another run \(process \d+ on /)

        yield* first.process.kill("SIGKILL")
        yield* Effect.ignore(first.process.exitCode)
        assert.isTrue(yield* fs.exists(`${checkpoint}/lock`), "a kill leaves its lock")
        // as a kill in the middle of a checkpoint write leaves it
        yield* fs.writeFileString(`${checkpoint}/run#999999-3`, "{\"ids\":[")

        const third = yield* run([...args, "--output", output, "--resume"], env)
        assert.strictEqual(third.code, 0, third.printed)
        assert.strictEqual((yield* readOutput(output)).length, 40)
        const left = yield* fs.readDirectory(checkpoint)
        assert.deepStrictEqual(left.filter((name) => name.includes("#") || name === "lock"), [])
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    60_000
  )

  it.live(
    "two runs started at once on one output: one writes every line once, the other is refused (exit 2)",
    () =>
      Effect.gen(function*() {
        const server = yield* EmulatorServer.EmulatorServer
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        const output = `${directory}/out.jsonl`
        yield* writeLines(input, Array.from({ length: 4_000 }, (_, n) => JSON.stringify({ n })))
        const args = [
          ...["batch", "--project", "demo", "--pipeline", "echo", "--no-progress", "--resume"],
          ...["--input", input, "--output", output]
        ]
        const env = { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }
        const [a, b] = yield* Effect.all([run(args, env), run(args, env)], { concurrency: 2 })
        assert.deepStrictEqual([a.code, b.code].sort(), [0, 2], a.printed + b.printed)
        assert.match((a.code === 2 ? a : b).printed, /is being written by another run/)
        const lines = yield* readOutput(output)
        assert.strictEqual(lines.length, 4_000)
        assert.strictEqual(new Set(lines.map((line) => line.index)).size, 4_000)
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    60_000
  )
})
