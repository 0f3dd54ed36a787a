/**
 * The `pnpm emulator` command: its arguments, and the real process (prints the base URL and token, serves,
 * stops cleanly on SIGINT).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import * as Command from "../src/Command.js"

const root = Path.resolve(__dirname, "../../..")
/** The emulator's sources run by this very node process with tsx's loader: the `tsx` command would run them in a
 * child process of its own, which a SIGKILL of the `tsx` process leaves running. */
const inProcessTsx = ["--import", "tsx"]

describe("Command", () => {
  it("reads the options, with defaults", () => {
    const parsed = Command.parse([])
    assert.isTrue(Either.isRight(parsed))
    if (Either.isRight(parsed)) {
      assert.deepStrictEqual(parsed.right, {
        port: 8080,
        host: "127.0.0.1",
        token: undefined,
        config: undefined,
        demo: true,
        maxFinishedRequests: undefined,
        maxBodyBytes: undefined,
        faults: {}
      })
    }
    const full = Command.parse([
      "--",
      "--port",
      "0",
      "--token",
      "abc",
      "--config",
      "x.json",
      "--no-demo",
      "--max-finished",
      "10",
      "--error-rate",
      "500=0.03",
      "--error-rate",
      "503=0.03",
      "--latency",
      "20",
      "--drop-before",
      "0.02",
      "--drop-after",
      "0.02"
    ])
    assert.isTrue(Either.isRight(full))
    if (Either.isRight(full)) {
      assert.strictEqual(full.right.port, 0)
      assert.strictEqual(full.right.token, "abc")
      assert.isFalse(full.right.demo)
      assert.strictEqual(full.right.maxFinishedRequests, 10)
      assert.deepStrictEqual(full.right.faults, {
        errorRates: { "500": 0.03, "503": 0.03 },
        latencyMs: [20, 20],
        dropBeforeAccept: 0.02,
        dropAfterAccept: 0.02
      })
    }
  })

  it("reads --profile ubiops as the real service's fault profile", () => {
    const parsed = Command.parse(["--profile", "ubiops", "--error-rate", "503=0.01"])
    assert.isTrue(Either.isRight(parsed))
    if (Either.isRight(parsed)) {
      assert.deepStrictEqual(parsed.right.faults, { profile: "ubiops", errorRates: { "503": 0.01 } })
    }
    assert.isTrue(Either.isLeft(Command.parse(["--profile", "paradise"])))
  })

  it("reads --visibility-delay as milliseconds, refusing a negative one", () => {
    const parsed = Command.parse(["--visibility-delay", "1500"])
    assert.deepStrictEqual(Either.getOrUndefined(parsed)?.faults, { visibilityDelayMs: 1500 })
    const negative = Command.parse(["--visibility-delay", "-1"])
    assert.isTrue(Either.isLeft(negative))
    if (Either.isLeft(negative)) {
      assert.include(negative.left.reason, "--visibility-delay must be an integer of at least 0")
    }
  })

  it("refuses what makes no sense, saying why", () => {
    for (
      const [args, reason] of [
        [["--port", "-1"], /--port/],
        [["--port", "x"], /--port/],
        [["--error-rate", "500"], /STATUS=RATE/],
        [["--drop-before", "2"], /probability/],
        [["--latency", "5,1"], /min <= max/],
        [["--token", ""], /--token/],
        [["--bogus"], /bogus/]
      ] as const
    ) {
      const parsed = Command.parse(args)
      assert.isTrue(Either.isLeft(parsed), args.join(" "))
      if (Either.isLeft(parsed)) assert.match(parsed.left.reason, reason)
    }
  })

  it.live(
    "the process prints its base URL and token, serves, and exits 0 on SIGINT",
    () =>
      Effect.promise(() =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [...inProcessTsx, "packages/emulator/src/bin.ts", "--port", "0"],
            {
              cwd: root,
              stdio: ["ignore", "pipe", "pipe"]
            }
          )
          const timer = setTimeout(() => {
            child.kill("SIGKILL")
            reject(new Error(`the emulator did not start and stop in time; output: ${output}`))
          }, 25_000)
          let output = ""
          let checked = false
          child.stdout.on("data", async (chunk: Buffer) => {
            output += chunk.toString()
            const url = /base URL: (http:\/\/127\.0\.0\.1:\d+\/v2\.1)/.exec(output)?.[1]
            const token = /token: +([0-9a-f]{40})/.exec(output)?.[1]
            if (checked || url === undefined || token === undefined) return
            checked = true
            try {
              const response = await fetch(`${url}/status`, { headers: { authorization: `Token ${token}` } })
              assert.deepStrictEqual(await response.json(), { status: "ok" })
              child.kill("SIGINT")
            } catch (error) {
              child.kill("SIGKILL")
              reject(error)
            }
          })
          child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString()))
          child.on("exit", (code) => {
            clearTimeout(timer)
            if (code === 0 && checked && output.includes("UbiOps emulator stopped.")) resolve()
            else reject(new Error(`exit code ${code}; output: ${output}`))
          })
        })
      ),
    { timeout: 30_000 }
  )

  it.live(
    "serves the faults of its --config file (here the ubiops profile: 300 calls a minute) when no fault flag is given",
    () =>
      Effect.promise(async () => {
        const directory = await mkdtemp(Path.join(tmpdir(), "emulator-config-"))
        const config = Path.join(directory, "emulator.json")
        await writeFile(config, JSON.stringify({ projects: [], faults: "ubiops" }))
        const child = spawn(
          process.execPath,
          [...inProcessTsx, "packages/emulator/src/bin.ts", "--port", "0", "--config", config],
          { cwd: root, stdio: ["ignore", "pipe", "pipe"] }
        )
        let output = ""
        child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString()))
        child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString()))
        try {
          const started = Date.now()
          let found: RegExpExecArray | null = null
          while (found === null && Date.now() - started < 20_000) {
            await new Promise((resolve) => setTimeout(resolve, 100))
            found = /base URL: (http:\/\/127\.0\.0\.1:\d+\/v2\.1)\n +token: +([0-9a-f]{40})/.exec(output)
          }
          assert.isNotNull(found, output)
          assert.include(output, `faults:   "ubiops"`)
          const response = await fetch(`${found![1]}/status`, { headers: { authorization: `Token ${found![2]}` } })
          assert.strictEqual(response.headers.get("x-ratelimit-limit"), "300")
        } finally {
          child.kill("SIGKILL")
          await rm(directory, { recursive: true, force: true })
        }
      }),
    { timeout: 30_000 }
  )
})
