/**
 * Scenario 3 on a busy machine: `k` client processes at once, each running `Batch.run` over `n` inputs on its own
 * pipeline (20 workers of `stepMs`) of one emulator, each counting its collect calls. On 2 cores, 12 at once made
 * every create slow (about 480 ms); before the polling rule converted server times with the lower bound of the
 * clock offset, that made every client poll twice per wave (62 polls for 600 results instead of 33).
 *
 *   node --import tsx bench/micro/busy-polls.ts [k (12)] [n (600)] [stepMs (2000)]
 */
import * as Batch from "@ubiops-effect/stream/Batch"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { inputs } from "../clients/harness.js"
import { project, wavePipeline } from "../lib/context.js"
import { collectCounting } from "./collectCounting.js"
import { startEmulator } from "./emulator.js"

const token = "busy-polls-token"

/** One client process: runs the batch and prints its collect calls. */
const child = async (pipeline: string, baseUrl: string, n: number) => {
  const { counter, layer } = collectCounting(token, baseUrl)
  const count = await Batch.run({ project, pipeline }, inputs(n)).pipe(
    Stream.runCount,
    Effect.provide(layer),
    Effect.runPromise
  )
  console.log(JSON.stringify({ pipeline, count, polls: counter.polls }))
}

const parent = async (k: number, n: number, stepMs: number) => {
  const pipelines = Array.from({ length: k }, (_, i) => `busy-${i + 1}`)
  const emulator = await startEmulator(pipelines.map((name) => wavePipeline(name, stepMs)), token, k * n)
  try {
    console.log(`${k} clients at once, ${n} inputs each on 20 workers of ${stepMs} ms: ${n / 20} waves each`)
    const self = fileURLToPath(import.meta.url)
    const runs = await Promise.all(pipelines.map(async (pipeline) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", self, "child", pipeline, emulator.baseUrl, String(n)],
        { timeout: (n / 20) * stepMs * 3 + 120_000 }
      )
      return JSON.parse(stdout.trim().split("\n").pop()!) as { count: number; polls: number }
    }))
    const polls = runs.map((run) => run.polls)
    console.log(`polls per client: ${polls.join(" ")}; per result: ${(Math.max(...polls) / n).toFixed(4)} at most`)
  } finally {
    await emulator.stop()
  }
}

if (process.argv[2] === "child") {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]))
} else {
  await parent(Number(process.argv[2] ?? 12), Number(process.argv[3] ?? 600), Number(process.argv[4] ?? 2_000))
}
