/**
 * The part of a client process that is the same for both clients: the conversation with the parent (job, ready,
 * go, done), the lazy inputs, and what is recorded about the results. It imports nothing from Effect, so that it
 * costs both clients the same.
 */
import type { ChildMessage, Job, JobResult, LatencySummary, MemorySample, ParentMessage } from "../lib/jobs.js"

/** Inputs `{ i }`, made one at a time as they are pulled. */
export function* inputs(n: number): Generator<{ readonly i: number }> {
  for (let i = 0; i < n; i++) yield { i }
}

interface ResultLike {
  readonly status: string
  readonly index: number
  /** Absent for a request gone from the server (`Batch.Gone`). */
  readonly detail?: { readonly time_completed: string | null }
}

const gcAtMarks = process.env["BENCH_GC_AT_MARKS"] === "1"

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]

/** Counts the results (and checks that each input came back once), their latency and RSS at marks. */
export class Recorder {
  count = 0
  completed = 0
  private indexSum = 0
  private readonly latencies: Array<number> | undefined
  readonly rssAtMarks: Array<number> = []
  readonly memoryAtMarks: Array<MemorySample> = []
  private nextMark = 0

  constructor(readonly marks: ReadonlyArray<number>, latency: boolean) {
    this.latencies = latency ? [] : undefined
  }

  record(results: ReadonlyArray<ResultLike>): void {
    const latencies = this.latencies
    const now = latencies === undefined ? 0 : Date.now()
    for (let i = 0; i < results.length; i++) {
      const result = results[i]
      this.indexSum += result.index
      if (result.status === "completed") this.completed++
      const completedAt = result.detail?.time_completed
      if (latencies !== undefined && completedAt !== undefined && completedAt !== null) {
        latencies.push(now - Date.parse(completedAt))
      }
    }
    this.count += results.length
    while (this.nextMark < this.marks.length && this.count >= this.marks[this.nextMark]) {
      // diagnostics: with --expose-gc and BENCH_GC_AT_MARKS=1, the live heap rather than the heap as it happens to be
      if (gcAtMarks) (globalThis as { gc?: () => void }).gc?.()
      const memory = process.memoryUsage()
      this.rssAtMarks.push(memory.rss)
      this.memoryAtMarks.push(memory)
      this.nextMark++
    }
  }

  complete(n: number): boolean {
    return this.count === n && this.indexSum === (n * (n - 1)) / 2
  }

  latency(): LatencySummary | undefined {
    if (this.latencies === undefined) return undefined
    const sorted = Float64Array.from(this.latencies).sort()
    return {
      count: sorted.length,
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]
    }
  }
}

/**
 * With `BENCH_ALLOCATION_PROFILE=file`, V8's sampling heap profiler records every sampled allocation of the
 * measured part, including objects that were collected since, in `file.<client>.<pid>.json` (`profile.ts
 * --allocations` reads it).
 */
const allocationProfile = process.env["BENCH_ALLOCATION_PROFILE"]
type InspectorSession = { post: (method: string, params?: object) => Promise<unknown> }
let inspectorSession: InspectorSession | undefined

const startAllocationProfile = async () => {
  if (allocationProfile === undefined) return
  const inspector = await import("node:inspector/promises")
  const session = new inspector.Session()
  session.connect()
  inspectorSession = session as unknown as InspectorSession
  await inspectorSession.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
}

const stopAllocationProfile = async () => {
  if (allocationProfile === undefined || inspectorSession === undefined) return
  const { profile } = (await inspectorSession.post("HeapProfiler.stopSampling")) as { profile: unknown }
  const { writeFileSync } = await import("node:fs")
  // One file per client process: `<file>.<client program>.<pid>.json`.
  const program = (process.argv[1] ?? "client").split("/").pop()!.replace(/\.m?js$/, "")
  writeFileSync(`${allocationProfile}.${program}.${process.pid}.json`, JSON.stringify(profile))
}

/** Wall time, CPU time of this process, and its peak RSS, between `start` and `stop`. */
export class Meter {
  private cpu: NodeJS.CpuUsage | undefined
  private started = 0
  private startedUs = 0
  private peak = 0
  private timer: NodeJS.Timeout | undefined
  private memoryAtStart: MemorySample | undefined

  start(): void {
    this.memoryAtStart = process.memoryUsage()
    this.peak = this.memoryAtStart.rss
    this.timer = setInterval(() => {
      const rss = process.memoryUsage.rss()
      if (rss > this.peak) this.peak = rss
    }, 50)
    this.timer.unref()
    this.cpu = process.cpuUsage()
    this.startedUs = Number(process.hrtime.bigint() / 1000n)
    this.started = performance.now()
  }

  stop() {
    const wallMs = performance.now() - this.started
    const cpu = process.cpuUsage(this.cpu)
    const stoppedUs = Number(process.hrtime.bigint() / 1000n)
    clearInterval(this.timer)
    const rss = process.memoryUsage.rss()
    if (rss > this.peak) this.peak = rss
    return {
      wallMs,
      measuredFromUs: this.startedUs,
      measuredToUs: stoppedUs,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssPeakSampled: this.peak,
      memoryAtStart: this.memoryAtStart!,
      maxRss: process.resourceUsage().maxRSS * 1024
    }
  }
}

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()))

/** Tells the parent the client is ready (warmed up), and waits for its go. */
const ready = (): Promise<void> =>
  new Promise<void>((resolve) => {
    process.once("message", (message: ParentMessage) => {
      if (message.type === "go") resolve()
    })
    void send({ type: "ready" })
  }).then(startAllocationProfile)

/**
 * Runs this process as a client: receives one job, lets `handler` warm up and call `go` when it is ready to be
 * measured, sends the result and exits.
 */
export const serve = (handler: (job: Job, go: () => Promise<void>) => Promise<JobResult>): void => {
  if (process.send === undefined) {
    console.error("this is a benchmark client process: run.ts starts it")
    process.exit(2)
  }
  process.once("message", (message: ParentMessage) => {
    if (message.type !== "job") return
    handler(message.job, ready).then(
      (result) => stopAllocationProfile().then(() => send({ type: "done", result })),
      (error: unknown) =>
        send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    ).finally(() => process.exit(0))
  })
}
