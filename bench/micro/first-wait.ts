/**
 * Scenario 3's polls with the polling rule's first wait left at its default (200 ms, doubling while nothing has
 * finished) and set to the pipeline's duration plus 5% (`schedule: { initialDelay }`, what a user who knows the
 * pipeline can set). Our client alone, one run after the other, each on a fresh pipeline of 20 workers taking
 * `stepMs` per request, against an emulator in its own process.
 *
 *   node --import tsx bench/micro/first-wait.ts [n (600)] [stepMs (2000)]
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Batch from "@ubiops-effect/stream/Batch"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { fileURLToPath } from "node:url"
import { inputs, Recorder } from "../clients/harness.js"
import { project } from "../lib/context.js"
import * as Emulator from "../lib/emulator.js"

const n = Number(process.argv[2] ?? 600)
const stepMs = Number(process.argv[3] ?? 2_000)
const token = "first-wait-token"
const variants = [
  { name: "default first wait (200 ms, doubling)", pipeline: "default", initialDelay: undefined },
  { name: `first wait ${Math.round(stepMs * 1.05)} ms`, pipeline: "known", initialDelay: Math.round(stepMs * 1.05) }
]

const emulator = await Emulator.start({
  repoRoot: fileURLToPath(new URL("../..", import.meta.url)),
  projects: [{
    name: project,
    pipelines: variants.map((variant) => ({
      name: variant.pipeline,
      workers: 20,
      objects: [{ kind: "deployment", name: "work", latencyMs: stepMs }]
    }))
  }],
  token,
  maxFinished: 10_000
})

let polls = 0
const layer = PipelineRequests.layer({
  token: Redacted.make(token),
  host: emulator.baseUrl,
  transformClient: (client) =>
    HttpClient.tapRequest(client, (request) =>
      Effect.sync(() => {
        if (request.url.endsWith("/requests/collect")) polls++
      }))
}).pipe(Layer.provide(NodeHttpClient.layerUndici))

try {
  console.log(`${n} inputs on 20 workers of ${stepMs} ms: ${n / 20} waves`)
  for (const variant of variants) {
    polls = 0
    const recorder = new Recorder([], true)
    const started = performance.now()
    await Batch.run(
      { project, pipeline: variant.pipeline },
      inputs(n),
      variant.initialDelay === undefined ? {} : { schedule: { initialDelay: Duration.millis(variant.initialDelay) } }
    ).pipe(
      Stream.runForEachChunk((chunk) => Effect.sync(() => recorder.record(Chunk.toReadonlyArray(chunk)))),
      Effect.provide(layer),
      Effect.runPromise
    )
    const latency = recorder.latency()!
    console.log(
      `${variant.name}: ${polls} polls (${
        (polls / recorder.count).toFixed(4)
      } per result), latency p50 ${latency.p50} ms, p95 ${latency.p95} ms, ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`
    )
  }
} finally {
  await emulator.stop()
}
