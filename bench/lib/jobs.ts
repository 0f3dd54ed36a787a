/**
 * What the parent asks a client process to do, and what it answers. Plain types shared by `run.ts` and the
 * client entry points (`clients/ours.ts`, `clients/reference.ts`).
 */

export type ClientKind = "ours-undici" | "ours-fetch" | "reference"

interface JobBase {
  readonly client: ClientKind
  /** The API root, `http://127.0.0.1:PORT/v2.1`. */
  readonly baseUrl: string
  readonly token: string
  readonly project: string
  readonly pipeline: string
}

/** A batch run: `n` inputs `{ i }` from a lazy generator, after a warm-up run of `warmup` inputs. */
export interface BatchJob extends JobBase {
  readonly kind: "batch"
  readonly n: number
  readonly warmup: number
  readonly chunkSize: number
  readonly concurrency: number
  readonly pollConcurrency: number
  readonly window: number
  /** Record completion-to-emission latency (the server's `time_completed` to the moment of emission). */
  readonly latency: boolean
  /** Sample RSS when these many results have been emitted (and the peak, every 50 ms). */
  readonly rssMarks: ReadonlyArray<number>
  /** Count HTTP requests in the client (ours: a `transformClient` hook; only where runs share the emulator). */
  readonly countCalls: boolean
  /** The reference client without its poll waits: every round polls at once (scenario 7). */
  readonly eager?: boolean | undefined
}

/** `n` sequential gets of the given ids (round robin), after `warmup` gets. */
export interface GetsJob extends JobBase {
  readonly kind: "gets"
  readonly n: number
  readonly warmup: number
  readonly ids: ReadonlyArray<string>
}

export type Job = BatchJob | GetsJob

export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly max: number
}

export interface MemorySample {
  readonly rss: number
  readonly heapTotal: number
  readonly heapUsed: number
  readonly external: number
  readonly arrayBuffers: number
}

export interface JobResult {
  /** Results emitted (batch) or calls made (gets) in the measured part. */
  readonly count: number
  readonly completed: number
  /** Whether every input came back exactly once (sum of indexes and count). */
  readonly complete: boolean
  readonly wallMs: number
  /** The measured part on the monotonic clock in µs (the clock of V8's CPU profiles). */
  readonly measuredFromUs: number
  readonly measuredToUs: number
  readonly cpuUserUs: number
  readonly cpuSystemUs: number
  /** HTTP requests the client itself counted sending (every attempt), when it counted. */
  readonly clientCalls: number | undefined
  /** Of those, the collect calls (polls). */
  readonly clientPolls: number | undefined
  readonly latency: LatencySummary | undefined
  /** RSS (bytes) when each mark was reached. */
  readonly rssAtMarks: ReadonlyArray<number>
  /** `process.memoryUsage()` (bytes) when the measured part began, and at each mark. */
  readonly memoryAtStart: MemorySample
  readonly memoryAtMarks: ReadonlyArray<MemorySample>
  /** Highest RSS sampled every 50 ms, and the kernel's peak (`maxRSS`), bytes. */
  readonly rssPeakSampled: number
  readonly maxRss: number
}

export type ParentMessage = { readonly type: "job"; readonly job: Job } | { readonly type: "go" }

export type ChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly result: JobResult }
  | { readonly type: "error"; readonly message: string }
