/**
 * The command as a process, bundled and run on plain `node` directly and through `pnpm ubiops-effect`, against the
 * emulator's HTTP server on 127.0.0.1: Ctrl-C as a terminal sends it (SIGINT to the whole process group), and the
 * exit codes.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer, Schedule } from "effect"
import { bin, repositoryRoot } from "./utils/cli.js"
import { tempDirectory, writeLines } from "./utils/files.js"
import { type Group, startScoped } from "./utils/group.js"

const token = "ctrl-c-test-token"

const emulator = Layer.merge(EmulatorServer.layerWithEmulator({ port: 0, token }), NodeContext.layer)

/** 600 lines of 5 s on the sleep pipeline (4 workers): most are still queued when Ctrl-C comes. */
const sleepyInput = (directory: string) =>
  Effect.as(
    writeLines(`${directory}/in.jsonl`, Array.from({ length: 600 }, (_, n) => JSON.stringify({ seconds: 5, n }))),
    `${directory}/in.jsonl`
  )

const waitUntilCreated = (count: number) =>
  Emulator.stats.pipe(
    Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (stats) => stats.created.total >= count }),
    Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error(`never ${count} requests created`) })
  )

/** The lines it printed, progress redraws split apart. */
const printedLines = (group: Group) => group.printed().split(/[\r\n]+/).map((line) => line.trim()).filter(Boolean)

/** Ctrl-C once the requests are created, and its copy relayed by a parent 50 ms later. */
const pressCtrlC = (group: Group) =>
  Effect.gen(function*() {
    yield* waitUntilCreated(600)
    group.signal("SIGINT")
    yield* Effect.sleep("50 millis")
    group.signal("SIGINT")
    return yield* Effect.promise(() => group.exited)
  })

const assertCancelledAndReported = (group: Group) =>
  Effect.gen(function*() {
    const stats = yield* Emulator.stats
    assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0, "nothing left queued or running")
    const lines = printedLines(group)
    const reports = lines.filter((line) => line.startsWith("interrupted:"))
    assert.strictEqual(reports.length, 1, group.printed())
    assert.match(reports[0], /(\d+) of \1 outstanding requests cancelled on the server/)
    const report = lines.indexOf(reports[0])
    assert.include(lines[report - 1], "| interrupted", "the report comes after the last progress line")
  })

const batchArgs = (
  input: string,
  output: string
) => ["batch", "--project", "demo", "--pipeline", "sleep", "--input", input, "--output", output]

describe("Ctrl-C (SIGINT to the process group)", () => {
  it.live(
    "through the bundled executable on node: cancels everything on the server, reports once, exit 130",
    () =>
      Effect.gen(function*() {
        const server = yield* EmulatorServer.EmulatorServer
        const directory = yield* tempDirectory
        const input = yield* sleepyInput(directory)
        const group = yield* startScoped(process.execPath, [bin, ...batchArgs(input, `${directory}/out.jsonl`)], {
          env: { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }
        })
        const exit = yield* pressCtrlC(group)
        assert.strictEqual(exit.code, 130, group.printed())
        yield* assertCancelledAndReported(group)
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    120_000
  )

  it.live("through `pnpm ubiops-effect`: the same", () =>
    Effect.gen(function*() {
      const server = yield* EmulatorServer.EmulatorServer
      const directory = yield* tempDirectory
      const input = yield* sleepyInput(directory)
      // the README's command line, in the repository
      const group = yield* startScoped("npx", [
        "-y",
        "pnpm@12.4.2",
        "ubiops-effect",
        ...batchArgs(input, `${directory}/out.jsonl`)
      ], {
        cwd: repositoryRoot,
        env: { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }
      })
      yield* pressCtrlC(group)
      yield* assertCancelledAndReported(group)
    }).pipe(Effect.scoped, Effect.provide(emulator)), 120_000)

  it.live("a second Ctrl-C after a pause quits at once and says what it leaves running", () =>
    Effect.gen(function*() {
      const server = yield* EmulatorServer.EmulatorServer
      const directory = yield* tempDirectory
      const input = yield* sleepyInput(directory)
      const group = yield* startScoped(process.execPath, [bin, ...batchArgs(input, `${directory}/out.jsonl`)], {
        env: { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }
      })
      yield* waitUntilCreated(600)
      // the server answers slowly from now on: cancelling takes longer than the pause before the second Ctrl-C
      yield* Emulator.setFaults({ latencyMs: [4_000, 4_000] })
      group.signal("SIGINT")
      yield* Effect.sleep("2 seconds")
      group.signal("SIGINT")
      const exit = yield* Effect.promise(() => group.exited)
      assert.strictEqual(exit.code, 130)
      assert.match(
        group.printed(),
        /quit at once \(second Ctrl-C\): up to [0-9,]+ requests .* may still be pending/,
        group.printed()
      )
      assert.include(group.printed(), "--resume")
      yield* Emulator.setFaults({})
    }).pipe(Effect.scoped, Effect.provide(emulator)), 120_000)
})

describe("Ctrl-C while the command starts", () => {
  it.live(
    "at any moment of its start-up: exit 130, one line saying what it did, nothing left on the server",
    () =>
      Effect.gen(function*() {
        const server = yield* EmulatorServer.EmulatorServer
        const directory = yield* tempDirectory
        // 20,000 lines: checking them takes a moment, so some of the Ctrl-Cs come while the input is checked
        const input = `${directory}/in.jsonl`
        yield* writeLines(input, Array.from({ length: 20_000 }, (_, n) => JSON.stringify({ seconds: 5, n })))
        const said: Array<string> = []
        for (const [attempt, delayMillis] of [150, 250, 350, 450, 600, 800, 1_000].entries()) {
          const group = yield* startScoped(process.execPath, [
            bin,
            ...batchArgs(input, `${directory}/out-${attempt}.jsonl`)
          ], {
            env: { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }
          })
          yield* Effect.sleep(delayMillis)
          group.signal("SIGINT")
          const exit = yield* Effect.promise(() => group.exited)
          const reports = printedLines(group).filter((line) => /^(ubiops-effect: )?interrupted/.test(line))
          if (exit.signal === "SIGINT") {
            // Node was still starting, before any code of the command ran: nothing can have been sent
            assert.strictEqual(group.printed(), "")
            said.push("(killed while node started)")
          } else {
            assert.strictEqual(exit.code, 130, group.printed())
            assert.strictEqual(reports.length, 1, group.printed())
            said.push(reports[0])
          }
          yield* Effect.sleep("300 millis")
          const stats = yield* Emulator.stats
          assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0, group.printed())
        }
        // the later ones came once the command ran
        assert.notInclude(said.slice(-2).join(), "killed while node started", said.join("\n"))
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    120_000
  )
})

describe("exit codes through `pnpm ubiops-effect`", () => {
  it.live("0 done, 1 failed, 2 wrong usage: pnpm passes the command's own", () =>
    Effect.gen(function*() {
      const server = yield* EmulatorServer.EmulatorServer
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDirectory
      const input = `${directory}/in.jsonl`
      yield* writeLines(input, Array.from({ length: 10 }, (_, n) => JSON.stringify({ n })))
      yield* fs.writeFileString(
        `${directory}/package.json`,
        JSON.stringify({ private: true, scripts: { "ubiops-effect": `node ${bin}` } })
      )
      const pnpm = (args: ReadonlyArray<string>, env: Record<string, string>) =>
        Effect.gen(function*() {
          const group = yield* startScoped("npx", ["-y", "pnpm@12.4.2", "ubiops-effect", ...args], {
            cwd: directory,
            env
          })
          return yield* Effect.promise(() => group.exited)
        })
      const args = (
        output: string
      ) => ["batch", "--project", "demo", "--pipeline", "echo", "--input", input, "--output", `${directory}/${output}`]
      const connection = { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl }

      assert.strictEqual((yield* pnpm([...args("done.jsonl"), "--no-progress"], connection)).code, 0)
      assert.strictEqual(
        (yield* pnpm(args("failed.jsonl"), { ...connection, UBIOPS_API_TOKEN: "not-the-token" })).code,
        1
      )
      assert.strictEqual((yield* pnpm([...args("usage.jsonl"), "--window", "1"], connection)).code, 2)
    }).pipe(Effect.scoped, Effect.provide(emulator)), 120_000)
})
