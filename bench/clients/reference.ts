/**
 * Client process of the reference client (raw undici, no Effect): started by `run.ts`, one job per process.
 */
import type { BatchJob, GetsJob, JobResult } from "../lib/jobs.js"
import { defaultOptions, runBatch } from "../reference/batch.js"
import { ReferenceClient } from "../reference/http.js"
import { inputs, Meter, Recorder, serve } from "./harness.js"

/** Polls at once every round: the emulator's pace with no client-side waiting (scenario 7). */
const eagerSchedule = { initialDelay: 0, factor: 1, maxDelay: 0, margin: 0, coalesce: 0 }

const batch = async (job: BatchJob, go: () => Promise<void>): Promise<JobResult> => {
  const client = new ReferenceClient({ baseUrl: job.baseUrl, token: job.token })
  const target = { project: job.project, pipeline: job.pipeline }
  const options = {
    ...defaultOptions,
    chunkSize: job.chunkSize,
    concurrency: job.concurrency,
    pollConcurrency: job.pollConcurrency,
    window: job.window,
    schedule: job.eager === true ? eagerSchedule : undefined
  }
  if (job.warmup > 0) await runBatch(client, target, inputs(job.warmup), options, () => {})
  await go()
  const recorder = new Recorder(job.rssMarks, job.latency)
  const callsBefore = client.calls
  const pollsBefore = client.polls
  const meter = new Meter()
  meter.start()
  await runBatch(client, target, inputs(job.n), options, (results) => recorder.record(results))
  const measured = meter.stop()
  const clientCalls = client.calls - callsBefore
  const clientPolls = client.polls - pollsBefore
  await client.close()
  return {
    ...measured,
    count: recorder.count,
    completed: recorder.completed,
    complete: recorder.complete(job.n),
    clientCalls,
    clientPolls,
    latency: recorder.latency(),
    rssAtMarks: recorder.rssAtMarks,
    memoryAtMarks: recorder.memoryAtMarks
  }
}

const gets = async (job: GetsJob, go: () => Promise<void>): Promise<JobResult> => {
  const client = new ReferenceClient({ baseUrl: job.baseUrl, token: job.token })
  const target = { project: job.project, pipeline: job.pipeline }
  const ids = job.ids
  for (let i = 0; i < job.warmup; i++) await client.get(target, ids[i % ids.length])
  await go()
  const callsBefore = client.calls
  let completed = 0
  const meter = new Meter()
  meter.start()
  for (let i = 0; i < job.n; i++) {
    const detail = await client.get(target, ids[i % ids.length])
    if (detail.status === "completed") completed++
  }
  const measured = meter.stop()
  const clientCalls = client.calls - callsBefore
  await client.close()
  return {
    ...measured,
    count: job.n,
    completed,
    complete: completed === job.n,
    clientCalls,
    clientPolls: 0,
    latency: undefined,
    rssAtMarks: [],
    memoryAtMarks: []
  }
}

serve((job, go) => job.kind === "batch" ? batch(job, go) : gets(job, go))
