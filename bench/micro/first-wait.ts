/**
 * Scenario 3's polls with the polling rule's first wait left at its default (200 ms, doubling while nothing has
 * finished) and set to the pipeline's duration plus 5% (`schedule: { initialDelay }`, what a user who knows the
 * pipeline can set). Our client alone, one run after the other, each on a fresh pipeline of 20 workers taking
 * `stepMs` per request, against an emulator in its own process.
 *
 *   node --import tsx bench/micro/first-wait.ts [n (600)] [stepMs (2000)]
 */
import * as Batch from "@ubiops-effect/stream/Batch"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { inputs, Recorder } from "../clients/harness.js"
import { project, wavePipeline } from "../lib/context.js"
import { collectCounting } from "./collectCounting.js"
import { startEmulator } from "./emulator.js"

const n = Number(process.argv[2] ?? 600)
const stepMs = Number(process.argv[3] ?? 2_000)
const token = "first-wait-token"
const variants = [
  { name: "default first wait (200 ms, doubling)", pipeline: "default", initialDelay: undefined },
  { name: `first wait ${Math.round(stepMs * 1.05)} ms`, pipeline: "known", initialDelay: Math.round(stepMs * 1.05) }
]

const emulator = await startEmulator(
  variants.map((variant) => wavePipeline(variant.pipeline, stepMs)),
  token,
  10_000
)
const { counter, layer } = collectCounting(token, emulator.baseUrl)

try {
  console.log(`${n} inputs on 20 workers of ${stepMs} ms: ${n / 20} waves`)
  for (const variant of variants) {
    counter.polls = 0
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
      `${variant.name}: ${counter.polls} polls (${
        (counter.polls / recorder.count).toFixed(4)
      } per result), latency p50 ${latency.p50} ms, p95 ${latency.p95} ms, ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`
    )
  }
} finally {
  await emulator.stop()
}
