/**
 * Chaos with real processes: a batch job (`fixtures/batch-child.ts`, `Batch.run` with a file-backed checkpoint) in a
 * child process against the emulator's loopback server with faults on, killed with SIGKILL mid-run and run again,
 * or stopped with SIGINT. The fault mix and seed come from the environment (see `utils/chaos.ts`).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer, Stream } from "effect"
import type * as Scope from "effect/Scope"
import { fileURLToPath } from "node:url"
import { chaosFaults, chaosTimeout } from "./utils/chaos.js"

const token = "chaos-process-token"
const child = fileURLToPath(new URL("fixtures/batch-child.ts", import.meta.url))
const root = fileURLToPath(new URL("../../..", import.meta.url))

interface Running {
  readonly process: CommandExecutor.Process
  readonly printed: () => string
}

/** Starts the batch job; it is killed when the scope closes if it still runs. */
const start = (
  env: Record<string, string>
): Effect.Effect<Running, never, CommandExecutor.CommandExecutor | EmulatorServer.EmulatorServer | Scope.Scope> =>
  Effect.gen(function*() {
    const server = yield* EmulatorServer.EmulatorServer
    const command = Command.make(process.execPath, "--import", "tsx", child).pipe(
      Command.workingDirectory(root),
      Command.env({ UBIOPS_API_HOST: server.baseUrl, UBIOPS_API_TOKEN: token, ...env })
    )
    const running = yield* Effect.orDie(Command.start(command))
    let printed = ""
    for (const stream of [running.stdout, running.stderr]) {
      yield* stream.pipe(
        Stream.decodeText(),
        Stream.runForEach((text) => Effect.sync(() => (printed += text))),
        Effect.ignore,
        Effect.forkScoped
      )
    }
    return { process: running, printed: () => printed }
  })

interface Line {
  readonly index?: number
  readonly requestId?: string
  readonly status?: string
  readonly data?: unknown
  readonly done?: boolean
  readonly report?: { readonly outstanding: number; readonly cancelled: number; readonly unknownCreates: number }
}

/** The output's complete lines (a line cut short by a kill is left out). */
const readLines = (path: string) =>
  Effect.flatMap(
    FileSystem.FileSystem,
    (fs) =>
      Effect.map(Effect.orElseSucceed(fs.readFileString(path), () => ""), (text) => {
        const lines: Array<Line> = []
        for (const line of text.split("\n")) {
          try {
            lines.push(JSON.parse(line) as Line)
          } catch {
            // the last line of a killed process, or the empty end
          }
        }
        return lines
      })
  )

/** Checks every 20 ms until `done` holds, and gives the value that satisfied it. */
const waitFor = <A, R>(what: string, check: Effect.Effect<A, never, R>, done: (a: A) => boolean, seconds = 60) =>
  Effect.gen(function*() {
    for (;;) {
      const value = yield* check
      if (done(value)) return value
      yield* Effect.sleep("20 millis")
    }
  }).pipe(
    Effect.timeoutFail({ duration: `${seconds} seconds`, onTimeout: () => new Error(`timed out waiting for ${what}`) })
  )

const environment = (faults: Emulator.EmulatorOptions["faults"]) =>
  Layer.merge(EmulatorServer.layerWithEmulator({ port: 0, token, faults }), NodeContext.layer)

const inputCount = (name: string, fallback: number) => {
  const text = process.env[name]
  return text === undefined || text === "" ? fallback : Number(text)
}

describe("chaos in a child process", () => {
  it.live(
    "killed with SIGKILL mid-run and run again with its checkpoint: each input exactly one result, once created",
    () => {
      const faults = chaosFaults()
      const count = inputCount("CHAOS_KILL_INPUTS", 10_000)
      return Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const directory = yield* fs.makeTempDirectoryScoped({ prefix: "ubiops-effect-chaos-" })
        const env = {
          CHILD_PIPELINE: "demo/echo",
          CHILD_INPUTS: String(count),
          CHILD_CHECKPOINT: `${directory}/checkpoint`,
          CHILD_OUTPUT: `${directory}/results.jsonl`,
          // answers of creates take 20-120 ms to come back: a kill usually finds creates accepted and not recorded
          CHILD_CREATE_DELAY_MS: "20,120"
        }
        const started = Date.now()
        const first = yield* start(env)
        yield* waitFor(
          "a third of the results",
          readLines(env.CHILD_OUTPUT),
          (lines) => lines.length >= count / 3,
          chaosTimeout() / 3000
        )
        yield* first.process.kill("SIGKILL")
        yield* Effect.ignore(first.process.exitCode)
        const atKill = yield* Emulator.stats
        const files = yield* fs.readDirectory(env.CHILD_CHECKPOINT)
        // chunks with an intent (`K/i/n/a`) and no ids (`K/c/n`): creates under way when the kill came
        const pendingIntents = new Set(
          files.flatMap((file) => {
            const chunk = /%2Fi%2F(\d+)%2F/.exec(file)?.[1]
            return chunk !== undefined && !files.includes(`child-run%2Fc%2F${chunk}`) ? [chunk] : []
          })
        )
        const linesAtKill = (yield* readLines(env.CHILD_OUTPUT)).length
        assert.isBelow(linesAtKill, count, "killed before the end")

        const second = yield* start(env)
        const code = yield* second.process.exitCode.pipe(Effect.orDie, Effect.timeout(chaosTimeout() - 30_000))
        assert.strictEqual(code, 0, second.printed())
        const seconds = (Date.now() - started) / 1000

        const lines = yield* readLines(env.CHILD_OUTPUT)
        assert.isTrue(lines.some((line) => line.done === true), "the second run finished")
        const requestOf = new Map<number, string>()
        let emittedAgain = 0
        for (const line of lines) {
          if (line.index === undefined) continue
          assert.strictEqual(line.status, "completed")
          assert.deepStrictEqual(line.data, { n: line.index }, "the result is the run of this input")
          const before = requestOf.get(line.index)
          if (before !== undefined) {
            // a result emitted again after the crash (at least once, see the README) is the same request's
            assert.strictEqual(line.requestId, before, `input ${line.index} has one request`)
            emittedAgain++
          }
          requestOf.set(line.index, line.requestId!)
        }
        assert.strictEqual(requestOf.size, count, "every input has its result")
        const stats = yield* Emulator.stats
        console.log(JSON.stringify({
          test: "SIGKILL",
          faults,
          inputs: count,
          seconds,
          linesAtKill,
          createdAtKill: atKill.created.total,
          chunksBeingCreatedAtKill: pendingIntents.size,
          emittedAgain,
          created: stats.created.total,
          calls: stats.calls,
          dropped: stats.dropped
        }))
        assert.strictEqual(stats.created.total, count, "one request per input: nothing created twice")
        assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0)
      }).pipe(Effect.scoped, Effect.provide(environment(faults)))
    },
    chaosTimeout()
  )

  it.live("SIGINT mid-run on a slow pipeline: within 5 s nothing of the run is left pending or processing", () => {
    const faults = chaosFaults()
    return Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* fs.makeTempDirectoryScoped({ prefix: "ubiops-effect-chaos-" })
      const env = {
        CHILD_PIPELINE: "demo/sleep",
        CHILD_INPUTS: "2000",
        CHILD_SECONDS: "0.5",
        CHILD_CHECKPOINT: `${directory}/checkpoint`,
        CHILD_OUTPUT: `${directory}/results.jsonl`
      }
      const running = yield* start(env)
      yield* waitFor(
        "a few results and 1,000 requests created",
        Effect.zip(readLines(env.CHILD_OUTPUT), Emulator.stats),
        ([lines, stats]) => lines.length >= 4 && stats.created.total >= 1_000,
        chaosTimeout() / 2000
      )
      const signalled = Date.now()
      // `Process.kill` waits for the process to end: the signal alone is sent here, and the server watched meanwhile
      process.kill(running.process.pid, "SIGINT")
      const stats = yield* waitFor(
        "nothing pending or processing",
        Emulator.stats,
        (stats) => stats.statuses.pending + stats.statuses.processing === 0,
        10
      )
      const took = Date.now() - signalled
      const code = yield* running.process.exitCode.pipe(Effect.orDie, Effect.timeout("30 seconds"))
      const exitedAfterMillis = Date.now() - signalled
      const lines = yield* readLines(env.CHILD_OUTPUT)
      const report = lines.find((line) => line.report !== undefined)?.report
      console.log(
        JSON.stringify({
          test: "SIGINT",
          faults,
          cancelledWithinMillis: took,
          exitedAfterMillis,
          code,
          report,
          ...stats
        })
      )
      assert.isAtMost(took, 5_000, "cancelled within 5 s")
      const after = yield* Emulator.stats
      assert.strictEqual(after.statuses.pending + after.statuses.processing, 0)
      assert.isAbove(after.statuses.cancelled, 500)
      assert.strictEqual(
        after.statuses.cancelled + after.statuses.completed + after.statuses.failed,
        after.created.total
      )
      assert.isDefined(report, running.printed())
      assert.strictEqual(report?.cancelled, after.statuses.cancelled, "the run reports what it cancelled")
    }).pipe(Effect.scoped, Effect.provide(environment(faults)))
  }, chaosTimeout())
})
