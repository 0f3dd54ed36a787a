/**
 * Measures `Batch.run` against an emulator started in its own process (`pnpm emulator`), next to a minimal
 * reference client written on undici with the same chunking (250), concurrency (4) and polling rule (collect
 * each chunk right after creating it, again after 10 ms steps while unfinished).
 *
 *   tsx packages/stream/scripts/measure.ts <ours|reference|slow> <baseUrl> <token> [N]
 *
 * Prints one JSON line: wall ms, results/s, client CPU µs per result, HTTP calls per result (from the
 * emulator's stats), and for `slow` the polls per result and completion-to-emission latency p50/p95.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { createRequire } from "node:module"
import * as Batch from "../src/Batch.js"

const [mode, baseUrl, token, count] = process.argv.slice(2)
const n = Number(count ?? 50_000)
const origin = new URL(baseUrl).origin

const stats = async () => {
  const response = await fetch(`${origin}/_emulator/stats`)
  return (await response.json()) as { calls: Record<string, number>; created: { total: number } }
}

const totalCalls = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0)

function* inputs(size: number, make: (i: number) => unknown) {
  for (let i = 0; i < size; i++) yield make(i)
}

const clientLayer = PipelineRequests.layer({ token: Redacted.make(token), host: baseUrl }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

let peakRss = 0
let atPeak: Record<string, number> = {}
setInterval(() => {
  const memory = process.memoryUsage()
  if (memory.rss > peakRss) {
    peakRss = memory.rss
    atPeak = Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, Math.round(v / 1e6)]))
  }
}, 100).unref()

/** With --expose-gc: the live heap after a full collection, every 2 s. */
const live: Array<number> = []
const gc = (globalThis as { gc?: () => void }).gc
if (gc !== undefined) {
  setInterval(() => {
    gc()
    live.push(Math.round(process.memoryUsage().heapUsed / 1e6))
  }, 2_000).unref()
}

const measure = async (run: () => Promise<{ results: number; extra?: Record<string, unknown> }>) => {
  const before = await stats()
  const startRss = process.memoryUsage().rss
  const cpu = process.cpuUsage()
  const start = performance.now()
  const { extra, results } = await run()
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  const after = await stats()
  const calls = totalCalls(after.calls) - totalCalls(before.calls)
  console.log(JSON.stringify({
    mode,
    n,
    results,
    wallMs: Math.round(wall),
    resultsPerSecond: Math.round((results / wall) * 1000),
    cpuMicrosPerResult: Number(((used.user + used.system) / results).toFixed(1)),
    callsPerResult: Number((calls / results).toFixed(4)),
    created: after.created.total - before.created.total,
    startRssMB: Math.round(startRss / 1e6),
    peakRssMB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 1e6),
    atPeak,
    ...(live.length > 0 ? { liveHeapMB: live } : {}),
    ...extra
  }))
}

/** With TIMELINE=1: how many calls were in flight over the run (time-weighted), and how long none was. */
const timeline = { inFlight: 0, since: 0, weighted: 0, idle: 0, start: 0 }
const track = (delta: number) => {
  const now = performance.now()
  const span = now - timeline.since
  timeline.weighted += timeline.inFlight * span
  if (timeline.inFlight === 0) timeline.idle += span
  timeline.inFlight += delta
  timeline.since = now
}
const traced = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.ensuring(Effect.zipRight(Effect.sync(() => track(1)), effect), Effect.sync(() => track(-1)))
const withTimeline = Layer.effect(
  PipelineRequests.PipelineRequests,
  Effect.map(PipelineRequests.PipelineRequests, (service) => ({
    ...service,
    createBatch: (...args: Parameters<typeof service.createBatch>) => traced(service.createBatch(...args)),
    collect: (...args: Parameters<typeof service.collect>) => traced(service.collect(...args))
  }))
)

const ours = () =>
  Effect.runPromise(
    Batch.run({ project: "demo", pipeline: "echo" }, inputs(n, (i) => ({ i })), {
      schedule: process.env.FIRST_POLL_MS === undefined
        ? undefined
        : { initialDelay: Number(process.env.FIRST_POLL_MS) }
    }).pipe(
      Stream.runCount,
      Effect.tap(() => Effect.sync(() => track(0))),
      Effect.map((results) => {
        const total = timeline.since - timeline.start
        return {
          results,
          extra: process.env.TIMELINE === undefined ? {} : {
            meanCallsInFlight: Number((timeline.weighted / total).toFixed(2)),
            noCallInFlightMs: Math.round(timeline.idle)
          }
        }
      }),
      Effect.provide(process.env.TIMELINE === undefined ? clientLayer : withTimeline.pipe(Layer.provide(clientLayer))),
      Effect.onExit(() => Effect.void),
      (effect) => Effect.zipRight(Effect.sync(() => (timeline.start = timeline.since = performance.now())), effect)
    )
  )

/** The part of undici the reference client uses. */
interface Undici {
  readonly Agent: new(options: { connections: number }) => { close(): Promise<void> }
  readonly request: (url: string, options: {
    method: string
    headers: Record<string, string>
    body: string
    dispatcher: unknown
  }) => Promise<{ statusCode: number; body: { text(): Promise<string> } }>
}

const reference = async () => {
  const require = createRequire(require_base())
  const undici = require("undici") as Undici
  const agent = new undici.Agent({ connections: 16 })
  const headers = { authorization: `Token ${token}`, "content-type": "application/json" }
  const post = async (path: string, body: unknown) => {
    const response = await undici.request(`${baseUrl}/projects/demo/pipelines/echo${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      dispatcher: agent
    })
    const text = await response.body.text()
    if (response.statusCode >= 300) throw new Error(`${response.statusCode} ${text}`)
    return JSON.parse(text) as Array<{ id: string; status: string }>
  }
  const source = inputs(n, (i) => ({ i }))
  let results = 0
  const worker = async () => {
    for (;;) {
      const chunk: Array<unknown> = []
      for (let next = source.next(); !next.done; next = source.next()) {
        chunk.push(next.value)
        if (chunk.length === 250) break
      }
      if (chunk.length === 0) return
      let ids = (await post("/requests/batch", chunk)).map((item) => item.id)
      while (ids.length > 0) {
        const details = await post("/requests/collect", ids)
        const open = new Set(ids)
        for (const detail of details) {
          if (detail.status === "completed" || detail.status === "failed" || detail.status === "cancelled") {
            open.delete(detail.id)
            results++
          }
        }
        ids = [...open]
        if (ids.length > 0) await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  await agent.close()
  return { results }
}

/** undici is a dependency of @effect/platform-node: resolve it from there. */
const require_base = () => createRequire(import.meta.url).resolve("@effect/platform-node/package.json")

const slow = () =>
  Effect.runPromise(Effect.gen(function*() {
    const latencies: Array<number> = []
    const before = yield* Effect.promise(stats)
    const results = yield* Batch.run({ project: "bench", pipeline: "slow" }, inputs(n, (i) => ({ i }))).pipe(
      Stream.runForEach((result) =>
        Effect.sync(() => {
          const completed = Date.parse(result.detail.time_completed ?? "")
          latencies.push(Date.now() - completed)
        })
      ),
      Effect.as(latencies.length),
      Effect.provide(clientLayer)
    )
    const after = yield* Effect.promise(stats)
    const polls = (after.calls.pipelineRequestsBatchGet ?? 0) - (before.calls.pipelineRequestsBatchGet ?? 0)
    latencies.sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
    return {
      results: latencies.length,
      extra: {
        pollsPerResult: Number((polls / latencies.length).toFixed(4)),
        latencyP50Ms: at(0.5),
        latencyP95Ms: at(0.95),
        latencyMaxMs: latencies[latencies.length - 1],
        counted: results
      }
    }
  }))

await measure(mode === "ours" ? ours : mode === "reference" ? reference : slow)
