/**
 * The stream package's own cost per result: `Batch.run` over a stub `PipelineRequests` whose creates and
 * collects answer at once with prebuilt objects (no HTTP, no decoding, every request finished).
 *
 * The consumer can be chosen, to see what a per-result effect downstream costs next to the run itself.
 *
 *   tsx packages/stream/scripts/overhead.ts [N] [order] [runCount|runForEach|runForEachChunk|mapEffect|tap|mapChunksEffect]
 */
import type { PipelineRequestBatchCreateResponse, PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { PipelineRequests, type Service } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Batch from "../src/Batch.js"

const n = Number(process.argv[2] ?? 1_000_000)
const order = (process.argv[3] ?? "completion") as "completion" | "input"
const consumer = process.argv[4] ?? "runCount"

const consumers: Record<string, <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.Effect<number, E, R>> = {
  runCount: Stream.runCount,
  runForEach: (stream) =>
    Effect.suspend(() => {
      let count = 0
      return Effect.map(Stream.runForEach(stream, () => Effect.sync(() => count++)), () => count)
    }),
  runForEachChunk: (stream) =>
    Effect.suspend(() => {
      let count = 0
      return Effect.map(
        Stream.runForEachChunk(stream, (chunk) => Effect.sync(() => count += chunk.length)),
        () => count
      )
    }),
  mapEffect: (stream) => Stream.runCount(Stream.mapEffect(stream, Effect.succeed)),
  tap: (stream) => Stream.runCount(Stream.tap(stream, () => Effect.void)),
  mapChunksEffect: (stream) => Stream.runCount(Stream.mapChunksEffect(stream, Effect.succeed))
}
if (!(consumer in consumers)) {
  throw new Error(`unknown consumer ${consumer}: one of ${Object.keys(consumers).join(", ")}`)
}

let next = 0
const created = new Map<string, PipelineRequestDetail>()
const now = new Date().toISOString()
const stub = {
  createBatch: (_target, data) =>
    Effect.sync(() =>
      data.map((input) => {
        const id = `r${next++}`
        // plain objects: constructing Schema classes costs about 5 µs each, which is not what is measured here
        created.set(id, {
          id,
          status: "completed",
          time_created: now,
          time_started: now,
          time_completed: now,
          request_data: input,
          result: input,
          error_message: null
        } as unknown as PipelineRequestDetail)
        return { id, status: "pending", time_created: now } as unknown as PipelineRequestBatchCreateResponse
      })
    ),
  collect: (_target, ids) =>
    Effect.sync(() =>
      ids.map((id) => {
        const detail = created.get(id)!
        created.delete(id)
        return detail
      })
    )
} as Partial<Service> as Service

function* inputs() {
  for (let i = 0; i < n; i++) yield { i }
}

const startRss = process.memoryUsage().rss
const cpu = process.cpuUsage()
const start = performance.now()
const count = await Effect.runPromise(
  Batch.run({ project: "p", pipeline: "q" }, inputs(), { order }).pipe(
    consumers[consumer],
    Effect.provideService(PipelineRequests, stub)
  )
)
const wall = performance.now() - start
const used = process.cpuUsage(cpu)
console.log(JSON.stringify({
  n,
  order,
  consumer,
  count,
  wallMs: Math.round(wall),
  cpuMicrosPerResult: Number(((used.user + used.system) / count).toFixed(2)),
  startRssMB: Math.round(startRss / 1e6),
  // the process's own peak: a timer would not fire while the run keeps the event loop busy
  maxRssMB: Math.round(process.resourceUsage().maxRSS / 1e3),
  endRssMB: Math.round(process.memoryUsage().rss / 1e6),
  end: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1e6)]))
}))
