/**
 * The executable as a user runs it, in a child process, against the emulator's HTTP server on 127.0.0.1.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer, Schedule } from "effect"
import { run, start } from "./utils/cli.js"
import { readOutput, tempDirectory, writeLines } from "./utils/files.js"
import { testProject } from "./utils/projects.js"

const token = "cli-test-token"

const emulator = (options: Emulator.EmulatorOptions = {}) =>
  Layer.merge(EmulatorServer.layerWithEmulator({ port: 0, token, ...options }), NodeContext.layer)

const connection = Effect.map(EmulatorServer.EmulatorServer, (server) => ({
  UBIOPS_API_TOKEN: token,
  UBIOPS_API_HOST: server.baseUrl
}))

const countLines = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    Effect.map(
      Effect.orElseSucceed(fs.readFile(path), () => new Uint8Array()),
      (bytes) => bytes.reduce((count, byte) => byte === 10 ? count + 1 : count, 0)
    ))

/** Waits until the file has at least `lines` lines. */
const waitForLines = (path: string, lines: number) =>
  countLines(path).pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (count) => count >= lines }),
    Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error(`${path} never reached ${lines} lines`) })
  )

const numbered = (count: number) => Array.from({ length: count }, (_, n) => JSON.stringify({ n }))

describe("ubiops-effect batch", () => {
  it.live(
    "killed halfway (SIGKILL) and run again with --resume: 5,000 lines, one per input, none submitted twice",
    () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        const output = `${directory}/out.jsonl`
        yield* writeLines(input, numbered(5_000))
        const args = ["batch", "--project", "test", "--pipeline", "steady", "--input", input, "--output", output]
        const env = yield* connection

        const first = yield* start(args, env)
        yield* waitForLines(output, 2_500)
        yield* first.process.kill("SIGKILL")
        yield* Effect.ignore(first.process.exitCode)
        const linesAtKill = yield* countLines(output)
        assert.isBelow(linesAtKill, 5_000, "killed before the end")

        const second = yield* run([...args, "--resume"], env)
        assert.strictEqual(second.code, 0, second.printed)
        assert.include(second.printed, "resuming:")
        assert.include(second.printed, "5,000 lines in")

        const lines = yield* readOutput(output)
        assert.strictEqual(lines.length, 5_000)
        const indices = new Set(lines.map((line) => line.index))
        assert.strictEqual(indices.size, 5_000)
        for (const line of lines) {
          assert.strictEqual(line.status, "completed")
          assert.deepStrictEqual(line.result, { n: line.index })
        }
        const stats = yield* Emulator.stats
        assert.strictEqual(stats.created.total, 5_000, "no input submitted twice")
        assert.strictEqual(stats.calls.batchPipelineRequestsCreate, 20)
      }).pipe(Effect.scoped, Effect.provide(emulator({ projects: [testProject] }))),
    // about 5 s on the 2-core machine
    120_000
  )

  const interruptedRun = Effect.gen(function*() {
    const directory = yield* tempDirectory
    const input = `${directory}/in.jsonl`
    const output = `${directory}/out.jsonl`
    // the sleep pipeline has 4 workers: 200 inputs of 0.2 s take 10 s
    yield* writeLines(input, Array.from({ length: 200 }, (_, n) => JSON.stringify({ seconds: 0.2, n })))
    const args = ["batch", "--project", "demo", "--pipeline", "sleep", "--input", input, "--output", output]
    const env = yield* connection

    const first = yield* start(args, env)
    yield* waitForLines(output, 8)
    yield* first.process.kill("SIGINT")
    const code = yield* Effect.orDie(first.process.exitCode).pipe(Effect.timeout("15 seconds"))
    assert.strictEqual(code, 130)
    yield* Effect.sleep("200 millis")
    assert.match(first.printed(), /interrupted: \d+ lines written .* \d+ of \d+ outstanding requests cancelled on the/)
    const stats = yield* Emulator.stats
    assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0, "nothing left queued or running")
    assert.isAbove(stats.statuses.cancelled, 100)
    return { args, env, output, cancelled: stats.statuses.cancelled }
  })

  it.live(
    "on Ctrl-C cancels on the server what is still queued, says so, and --resume runs those lines again",
    () =>
      Effect.gen(function*() {
        const { args, cancelled, env, output } = yield* interruptedRun
        const second = yield* run([...args, "--resume"], env)
        assert.strictEqual(second.code, 0, second.printed)
        assert.include(second.printed, `running again ${cancelled} lines whose requests were cancelled`)
        const lines = yield* readOutput(output)
        assert.strictEqual(lines.length, 200)
        assert.strictEqual(new Set(lines.map((line) => line.index)).size, 200)
        for (const line of lines) {
          assert.strictEqual(line.status, "completed")
          assert.deepStrictEqual(line.result, { seconds: 0.2, n: line.index })
        }
        assert.strictEqual((yield* Emulator.stats).created.total, 200 + cancelled, "only the cancelled ones again")

        const third = yield* run([...args, "--resume"], env)
        assert.strictEqual(third.code, 0, third.printed)
        assert.strictEqual((yield* readOutput(output)).length, 200)
        assert.strictEqual((yield* Emulator.stats).created.total, 200 + cancelled, "a finished job sends nothing")
      }).pipe(Effect.scoped, Effect.provide(emulator())),
    60_000
  )

  it.live(
    "--resume --keep-cancelled writes the lines whose requests a Ctrl-C cancelled as cancelled",
    () =>
      Effect.gen(function*() {
        const { args, cancelled, env, output } = yield* interruptedRun
        const second = yield* run([...args, "--resume", "--keep-cancelled"], env)
        assert.strictEqual(second.code, 0, second.printed)
        const lines = yield* readOutput(output)
        assert.strictEqual(lines.length, 200)
        assert.strictEqual(new Set(lines.map((line) => line.index)).size, 200)
        const cancelledLines = lines.filter((line) => line.status === "cancelled")
        assert.strictEqual(cancelledLines.length, cancelled)
        assert.strictEqual(cancelledLines[0].error, "the request was cancelled")
        assert.strictEqual((yield* Emulator.stats).created.total, 200)
      }).pipe(Effect.scoped, Effect.provide(emulator())),
    60_000
  )

  it.live(
    "runs without V8's optimizing compiler, unless node is given a compiler flag of the user's",
    () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        yield* writeLines(input, numbered(3_000))
        const env = yield* connection
        const base = ["batch", "--project", "demo", "--pipeline", "echo", "--input", input]
        const batch = (output: string) => [...base, "--output", `${directory}/${output}`]
        // --trace-opt makes V8 say each function it marks for, or compiles with, TurboFan
        const alone = yield* run(batch("alone.jsonl"), env, ["--trace-opt"])
        assert.strictEqual(alone.code, 0, alone.printed)
        assert.notInclude(alone.printed, "TURBOFAN")
        const given = yield* run(batch("given.jsonl"), env, ["--trace-opt", "--turbofan"])
        assert.strictEqual(given.code, 0, given.printed)
        assert.include(given.printed, "TURBOFAN")
        assert.strictEqual((yield* readOutput(`${directory}/given.jsonl`)).length, 3_000)
      }).pipe(Effect.scoped, Effect.provide(emulator())),
    60_000
  )

  it.live("says what is missing or wrong, with exit code 2, and never prints the token", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const input = `${directory}/in.jsonl`
      yield* writeLines(input, ["{\"n\": 1}", "[2]"])
      const base = ["batch", "--project", "demo", "--pipeline", "echo", "--input", input]

      const noToken = yield* run([...base, "--output", `${directory}/a.jsonl`])
      assert.strictEqual(noToken.code, 2)
      assert.include(noToken.printed, "no API token: set UBIOPS_API_TOKEN or pass --token")

      const tooSmall = yield* run([...base, "--output", `${directory}/w.jsonl`, "--window", "100", "--token", "t"])
      assert.strictEqual(tooSmall.code, 2)
      assert.include(tooSmall.printed, "--window must be at least 250 (one chunk), got 100")

      const badChoice = yield* run([
        ...base,
        "--output",
        `${directory}/u.jsonl`,
        "--on-uncertain",
        "maybe",
        "--token",
        "t"
      ])
      assert.strictEqual(badChoice.code, 2)
      assert.include(badChoice.printed, "resubmit")

      // what no waiting can mend is a usage error at once, before any connection
      for (
        const [env, reason] of [
          [{ UBIOPS_API_TOKEN: "t", UBIOPS_API_HOST: "ftp://files.example/v2.1" }, "host must be an http or https URL"],
          [{ UBIOPS_API_TOKEN: "t", UBIOPS_API_HOST: "http://127.0.0.1:9/v2.1?x=1" }, "query string"],
          [{ UBIOPS_API_TOKEN: "" }, "the API token is empty"],
          [{ UBIOPS_API_TOKEN: "hidden-4711\nX: 1" }, "that an HTTP header cannot carry"]
        ] as const
      ) {
        const refused = yield* run([...base, "--output", `${directory}/h.jsonl`], env)
        assert.strictEqual(refused.code, 2, refused.printed)
        assert.include(refused.printed, reason)
        assert.notInclude(refused.printed, "hidden-4711")
      }

      const env = yield* connection
      const badLine = yield* run([...base, "--output", `${directory}/b.jsonl`], env)
      assert.strictEqual(badLine.code, 2)
      assert.include(badLine.printed, "line 2: a structured pipeline takes a JSON object per line, got an array")

      const secret = "wrong-secret-token-4711"
      const unauthorized = yield* run([
        ...base,
        "--output",
        `${directory}/c.jsonl`,
        "--on-invalid",
        "skip",
        "--token",
        secret
      ], { UBIOPS_API_HOST: env.UBIOPS_API_HOST })
      assert.strictEqual(unauthorized.code, 1)
      assert.include(unauthorized.printed, "401")
      assert.notInclude(unauthorized.printed, secret)
    }).pipe(Effect.scoped, Effect.provide(emulator())), 60_000)
})

describe("ubiops-effect batch: lossless input", () => {
  it.live(
    "reports each line it cannot send exactly as written, before sending anything; skips them on request, also on resume",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        const text = (value: string) => new TextEncoder().encode(value)
        const lines = [
          text("{\"n\": 1}"),
          text("{\"x\": 1e400}"),
          Uint8Array.from([...text("{\"name\": \"caf"), 0xe9, ...text("\"}")]),
          text(`{"deep": ${"[".repeat(200_000)}${"]".repeat(200_000)}}`),
          text("{\"id\": 12345678901234567890}"),
          text("\u001b[2J\u001b]0;owned\u0007{"),
          text("{\"n\": 2}")
        ]
        const bytes = new Uint8Array(lines.reduce((total, line) => total + line.length + 1, 0))
        lines.reduce(
          (offset, line) => (bytes.set(line, offset), bytes[offset + line.length] = 10, offset + line.length + 1),
          0
        )
        yield* fs.writeFile(input, bytes)
        const env = yield* connection
        const base = ["batch", "--project", "demo", "--pipeline", "echo", "--input", input, "--no-progress"]

        const refused = yield* run([...base, "--output", `${directory}/a.jsonl`], env)
        assert.strictEqual(refused.code, 2, refused.printed)
        for (
          const reason of [
            "line 2: the number 1e400 is beyond the range of a double and would be sent as null",
            "line 3: not UTF-8 text (byte 14 of the line)",
            "line 4: nested deeper than 1,000 levels",
            "line 5: the integer 12345678901234567890 is beyond 2^53",
            "line 6: not JSON ("
          ]
        ) assert.include(refused.printed, reason)
        assert.notMatch(refused.printed, /[\u0000-\u0009\u000b-\u001f\u007f]/, "no control character of the input")
        assert.isFalse(yield* fs.exists(`${directory}/a.jsonl`))
        assert.strictEqual((yield* Emulator.stats).created.total, 0, "nothing was sent")

        const output = `${directory}/b.jsonl`
        const skipped = yield* run([...base, "--output", output, "--on-invalid", "skip"], env)
        assert.strictEqual(skipped.code, 0, skipped.printed)
        const written = yield* readOutput(output)
        assert.deepStrictEqual(
          written.map((line) => [line.index, line.status]).sort(([a], [b]) => Number(a) - Number(b)),
          [[0, "completed"], [1, "invalid"], [2, "invalid"], [3, "invalid"], [4, "invalid"], [5, "invalid"], [
            6,
            "completed"
          ]]
        )
        assert.strictEqual((yield* Emulator.stats).created.total, 2)

        const resumed = yield* run([...base, "--output", output, "--on-invalid", "skip", "--resume"], env)
        assert.strictEqual(resumed.code, 0, resumed.printed)
        assert.notInclude(resumed.printed, "RangeError")
        assert.strictEqual((yield* Emulator.stats).created.total, 2)
      }).pipe(Effect.scoped, Effect.provide(emulator())),
    60_000
  )
})

describe("ubiops-effect emulator", () => {
  it.live("starts the emulator as `pnpm emulator` does and stops on Ctrl-C", () =>
    Effect.gen(function*() {
      const emulator = yield* start(["emulator", "--port", "0", "--token", "T"])
      const found = (): RegExpExecArray | null =>
        /base URL: (http:\/\/127\.0\.0\.1:\d+\/v2\.1)/.exec(emulator.printed())
      yield* Effect.sync(found).pipe(
        Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (match) => match !== null }),
        Effect.timeout("20 seconds")
      )
      const baseUrl = found()![1]
      const status = yield* Effect.promise(() =>
        fetch(`${baseUrl}/projects/demo/pipelines/echo/requests/batch`, {
          method: "POST",
          headers: { Authorization: "Token T", "Content-Type": "application/json" },
          body: JSON.stringify([{ n: 1 }])
        }).then((response) => response.status)
      )
      assert.strictEqual(status, 201)
      yield* emulator.process.kill("SIGINT")
      assert.strictEqual(yield* Effect.orDie(emulator.process.exitCode), 0)
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)), 60_000)
})
