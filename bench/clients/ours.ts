/**
 * Client process of our client: `Batch.run` from `@ubiops-effect/stream` and `PipelineRequests.get` from
 * `@ubiops-effect/core`, over `NodeHttpClient.layerUndici` or `FetchHttpClient.layer`. Started by `run.ts`, one
 * job per process. Per-module imports only (`effect/Effect`, never the `effect` barrel): memory is measured here.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Batch from "@ubiops-effect/stream/Batch"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { BatchJob, GetsJob, Job, JobResult } from "../lib/jobs.js"
import { inputs, Meter, Recorder, serve } from "./harness.js"

interface Counter {
  calls: number
  polls: number
}

const clientLayer = (job: Job, counter: Counter | undefined) =>
  PipelineRequests.layer({
    token: Redacted.make(job.token),
    host: job.baseUrl,
    ...(counter === undefined ? {} : {
      transformClient: (client: HttpClient.HttpClient) =>
        HttpClient.tapRequest(client, (request) =>
          Effect.sync(() => {
            counter.calls++
            if (request.url.endsWith("/requests/collect")) counter.polls++
          }))
    })
  }).pipe(Layer.provide(job.client === "ours-fetch" ? FetchHttpClient.layer : NodeHttpClient.layerUndici))

const batch = (job: BatchJob, go: () => Promise<void>): Promise<JobResult> => {
  const target = { project: job.project, pipeline: job.pipeline }
  const options = {
    chunkSize: job.chunkSize,
    concurrency: job.concurrency,
    pollConcurrency: job.pollConcurrency,
    window: job.window
  }
  const counter: Counter | undefined = job.countCalls ? { calls: 0, polls: 0 } : undefined
  return Effect.gen(function*() {
    if (job.warmup > 0) yield* Stream.runDrain(Batch.run(target, inputs(job.warmup), options))
    yield* Effect.promise(go)
    const recorder = new Recorder(job.rssMarks, job.latency)
    const callsBefore = counter?.calls ?? 0
    const pollsBefore = counter?.polls ?? 0
    const meter = new Meter()
    meter.start()
    yield* Batch.run(target, inputs(job.n), options).pipe(
      Stream.runForEachChunk((chunk) => Effect.sync(() => recorder.record(Chunk.toReadonlyArray(chunk))))
    )
    const measured = meter.stop()
    return {
      ...measured,
      count: recorder.count,
      completed: recorder.completed,
      complete: recorder.complete(job.n),
      clientCalls: counter === undefined ? undefined : counter.calls - callsBefore,
      clientPolls: counter === undefined ? undefined : counter.polls - pollsBefore,
      latency: recorder.latency(),
      rssAtMarks: recorder.rssAtMarks,
      memoryAtMarks: recorder.memoryAtMarks
    } satisfies JobResult
  }).pipe(Effect.provide(clientLayer(job, counter)), Effect.runPromise)
}

const gets = (job: GetsJob, go: () => Promise<void>): Promise<JobResult> => {
  const target = { project: job.project, pipeline: job.pipeline }
  const ids = job.ids
  return Effect.gen(function*() {
    const service = yield* PipelineRequests.PipelineRequests
    for (let i = 0; i < job.warmup; i++) yield* service.get(target, ids[i % ids.length])
    yield* Effect.promise(go)
    let completed = 0
    const meter = new Meter()
    meter.start()
    for (let i = 0; i < job.n; i++) {
      const detail = yield* service.get(target, ids[i % ids.length])
      if (detail.status === "completed") completed++
    }
    const measured = meter.stop()
    return {
      ...measured,
      count: job.n,
      completed,
      complete: completed === job.n,
      clientCalls: undefined,
      clientPolls: undefined,
      latency: undefined,
      rssAtMarks: [],
      memoryAtMarks: []
    } satisfies JobResult
  }).pipe(Effect.provide(clientLayer(job, undefined)), Effect.runPromise)
}

serve((job, go) => job.kind === "batch" ? batch(job, go) : gets(job, go))
