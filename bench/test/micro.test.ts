/**
 * The diagnostics in `micro/` that talk to an emulator keep working: each runs at a tiny size in its own process
 * (as a user runs it) and prints its figures.
 */
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { assert, describe, it } from "vitest"
import { benchDir } from "../lib/build.js"

const run = async (script: string, args: ReadonlyArray<string>): Promise<string> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join("bench", "micro", script), ...args],
    { cwd: join(benchDir, ".."), timeout: 90_000 }
  )
  return stdout
}

const numbers = (line: string, pattern: RegExp): Array<number> =>
  [...line.matchAll(pattern)].map((match) => Number(match[1].replace(/,/g, "")))

describe("micro diagnostics", () => {
  it("layers.ts gives every client's CPU per result and the split", { timeout: 120_000 }, async () => {
    const out = await run("layers.ts", ["2", "500"])
    const rounds = out.split("\n").filter((line) => line.startsWith("round "))
    assert.strictEqual(rounds.length, 2, out)
    for (const client of ["ours", "platform", "undici", "reference"]) {
      const line = out.split("\n").find((line) => line.trim().startsWith(`${client} `) && line.includes("µs"))
      assert.isDefined(line, `${client}: ${out}`)
      const [perResult] = numbers(line!, /([\d.]+) µs/g)
      assert.isAbove(perResult, 0)
    }
    assert.match(out, /core -?[\d.]+ µs, HttpClient -?[\d.]+ µs, stream package and Effect runtime -?[\d.]+ µs/)
  })

  it("layers.ts refuses a client it does not know, naming the ones it does, before starting anything", async () => {
    const error = await run("layers.ts", ["1", "100", "ours,fetch"]).then(() => undefined, (error: Error) => error)
    assert.isDefined(error)
    assert.include(error!.message, "unknown client(s) fetch: choose among ours, platform, undici, reference")
  })

  it("gets.ts gives calls per second of both clients and their ratio", { timeout: 120_000 }, async () => {
    const out = await run("gets.ts", ["1", "100"])
    const line = out.split("\n").find((line) => line.startsWith("round 1:"))
    assert.isDefined(line, out)
    const rates = numbers(line!, /([\d,]+) calls\/s/g)
    assert.strictEqual(rates.length, 2, line)
    for (const rate of rates) assert.isAbove(rate, 0)
    assert.match(line!, /ratio [\d.]+x$/)
  })

  it("busy-polls.ts gives the collect calls of every client", { timeout: 120_000 }, async () => {
    const out = await run("busy-polls.ts", ["3", "40", "500"])
    const line = out.split("\n").find((line) => line.startsWith("polls per client:"))
    assert.isDefined(line, out)
    const polls = line!.replace(/;.*/, "").split(":")[1].trim().split(" ").map(Number)
    assert.strictEqual(polls.length, 3, line)
    // 2 waves each: at least one poll per wave
    for (const count of polls) assert.isAtLeast(count, 2, line)
  })

  it("first-wait.ts: the first wait set to the duration saves the backoff polls", { timeout: 120_000 }, async () => {
    const out = await run("first-wait.ts", ["40", "1000"])
    const polls = out.split("\n").filter((line) => line.includes(" polls (")).map((line) =>
      numbers(line, /: (\d+) polls/g)[0]
    )
    assert.strictEqual(polls.length, 2, out)
    const [byDefault, known] = polls
    assert.isAtLeast(known, 1)
    assert.isBelow(known, byDefault, out)
  })
})
