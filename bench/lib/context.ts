/**
 * What every scenario gets: the emulator, the sizes of this mode (default, `--full`, `--smoke`), and helpers to
 * run client processes against it.
 */
import type { Outputs } from "./build.js"
import { runClient, runTogether, type SpawnOptions } from "./child.js"
import { type Diff, diff, type Emulator } from "./emulator.js"
import type { BatchJob, ClientKind, GetsJob, JobResult } from "./jobs.js"

export type Mode = "default" | "full" | "smoke"

export const project = "bench"

/** Pipelines of the benchmark project (the emulator's `--config` file). */
export const slowPipelines = (reps: number) =>
  Array.from({ length: reps }, (_, rep) => [`slow-ours-${rep + 1}`, `slow-reference-${rep + 1}`]).flat()

/** A pipeline of one deployment taking `latencyMs` per request, on 20 workers: results finish in waves of 20. */
export const wavePipeline = (name: string, latencyMs: number) => ({
  name,
  workers: 20,
  objects: [{ kind: "deployment", name: "work", latencyMs }]
})

export const projects = (mode: Mode, reps: number) => [{
  name: project,
  pipelines: [
    // no objects: every request completes as soon as a worker takes it
    { name: "instant", workers: 64 },
    // 2 s per request (0.2 s in the smoke run); one pipeline per client and run
    ...slowPipelines(reps).map((name) => wavePipeline(name, mode === "smoke" ? 200 : 2000))
  ]
}]

export interface Sizes {
  readonly reps: number
  /** Scenarios 1, 2, 6, 7. */
  readonly throughput: number
  readonly warmup: number
  /** Scenario 3, per client and run. */
  readonly slow: number
  /** Scenario 4, and the runs of each client there. */
  readonly memory: number
  /** Runs of each client in scenario 4: at least 1, up to this many while the budget allows. */
  readonly memoryReps: number
  readonly memoryMarks: ReadonlyArray<number>
  /** Scenario 5. */
  readonly gets: number
  readonly getsWarmup: number
  /** Scenario 8: inputs, the emulator's limit (calls a minute) and the runs of each client. */
  readonly rateLimited: number
  readonly rateLimitPerMinute: number
  readonly rateLimitedReps: number
}

export const sizes: Record<Mode, Sizes> = {
  default: {
    reps: 3,
    throughput: 50_000,
    warmup: 2_000,
    slow: 600,
    memory: 1_000_000,
    memoryReps: 3,
    memoryMarks: [100_000, 1_000_000],
    gets: 5_000,
    getsWarmup: 200,
    // about 160 calls at 100 a minute: two windows, so the limit binds; a run lasts a minute, hence one of each
    rateLimited: 20_000,
    rateLimitPerMinute: 100,
    rateLimitedReps: 1
  },
  full: {
    reps: 3,
    throughput: 50_000,
    warmup: 2_000,
    slow: 10_000,
    memory: 1_000_000,
    memoryReps: 3,
    memoryMarks: [100_000, 1_000_000],
    gets: 5_000,
    getsWarmup: 200,
    rateLimited: 20_000,
    rateLimitPerMinute: 100,
    rateLimitedReps: 3
  },
  smoke: {
    reps: 1,
    throughput: 1_000,
    warmup: 250,
    slow: 60,
    memory: 5_000,
    memoryReps: 1,
    memoryMarks: [500, 5_000],
    gets: 100,
    getsWarmup: 10,
    rateLimited: 1_000,
    rateLimitPerMinute: 600,
    rateLimitedReps: 1
  }
}

export interface Measured {
  readonly client: ClientKind
  readonly result: JobResult
  readonly emulator: Diff
}

export interface Context {
  readonly mode: Mode
  readonly sizes: Sizes
  readonly emulator: Emulator
  /** The client bundles. */
  readonly outputs: Outputs
  /** Directory for CPU profiles of the client processes (`--profile`), else undefined. */
  readonly profileDir: string | undefined
  readonly log: (line: string) => void
  /** Results shared between scenarios (scenario 1's runs feed 2, 6 and 7). */
  readonly memo: <A>(key: string, make: () => Promise<A>) => Promise<A>
  /** When (`performance.now()`, ms) the whole run should be over: the 5-minute budget (Infinity with --full). */
  readonly deadline: number
  /** Every measured run, for the JSON. */
  readonly runs: Array<{ readonly label: string } & Measured>
}

const spawnOptions = (context: Context, timeoutMs: number): SpawnOptions => ({
  outputs: context.outputs,
  profileDir: context.profileDir,
  timeoutMs
})

export const batchJob = (
  context: Context,
  client: ClientKind,
  options: Partial<BatchJob> & { readonly n: number; readonly pipeline: string }
): BatchJob => ({
  kind: "batch",
  client,
  baseUrl: context.emulator.baseUrl,
  token: context.emulator.token,
  project,
  warmup: 0,
  chunkSize: 250,
  concurrency: 4,
  pollConcurrency: 4,
  window: 2000,
  latency: false,
  rssMarks: [],
  countCalls: false,
  ...options
})

export const getsJob = (
  context: Context,
  client: ClientKind,
  options: { readonly n: number; readonly warmup: number; readonly ids: ReadonlyArray<string> }
): GetsJob => ({
  kind: "gets",
  client,
  baseUrl: context.emulator.baseUrl,
  token: context.emulator.token,
  project,
  pipeline: "instant",
  ...options
})

/** Runs one client process alone and measures it with the emulator's stats around its measured part. */
export const measure = async (
  context: Context,
  job: BatchJob | GetsJob,
  options: { readonly timeoutMs?: number; readonly beforeGo?: () => Promise<void> } = {}
): Promise<Measured> => {
  const snapshot = context.emulator.snapshot
  const { after, before, result } = await runClient(
    job,
    options.beforeGo === undefined ? snapshot : async () => {
      await options.beforeGo!()
      return snapshot()
    },
    spawnOptions(context, options.timeoutMs ?? 240_000)
  )
  if (!result.complete) throw new Error(`${job.client}: not every input came back exactly once`)
  const measured = { client: job.client, result, emulator: diff(before, after) }
  context.runs.push({ label: `${job.kind} ${job.pipeline} n=${job.n}`, ...measured })
  return measured
}

/** Runs client processes at once; the emulator's stats cover all of them together. */
export const measureTogether = async (
  context: Context,
  jobs: ReadonlyArray<BatchJob>,
  timeoutMs: number
): Promise<{ readonly results: ReadonlyArray<Measured>; readonly emulator: Diff }> => {
  const { after, before, results } = await runTogether(
    jobs,
    context.emulator.snapshot,
    spawnOptions(context, timeoutMs)
  )
  const emulator = diff(before, after)
  results.forEach((result, index) => {
    if (!result.complete) throw new Error(`${jobs[index].client}: not every input came back exactly once`)
  })
  const measured = results.map((result, index) => ({ client: jobs[index].client, result, emulator }))
  measured.forEach((run, index) =>
    context.runs.push({ label: `${jobs[index].kind} ${jobs[index].pipeline} n=${jobs[index].n} (together)`, ...run })
  )
  return { results: measured, emulator }
}

/** The order of clients in run `rep`, rotated so that no client always goes first. */
export const rotate = <A>(items: ReadonlyArray<A>, rep: number): Array<A> =>
  items.map((_, index) => items[(index + rep) % items.length])

/** Creates `count` requests on the instant pipeline (for the gets of scenario 5) and returns their ids. */
export const createRequests = async (context: Context, count: number): Promise<Array<string>> => {
  const response = await fetch(`${context.emulator.baseUrl}/projects/${project}/pipelines/instant/requests/batch`, {
    method: "POST",
    headers: { authorization: `Token ${context.emulator.token}`, "content-type": "application/json" },
    body: JSON.stringify(Array.from({ length: count }, (_, i) => ({ i })))
  })
  if (!response.ok) throw new Error(`creating requests failed: ${response.status} ${await response.text()}`)
  const created = (await response.json()) as Array<{ readonly id: string }>
  return created.map((item) => item.id)
}

export const cpuPerItem = (result: JobResult): number => (result.cpuUserUs + result.cpuSystemUs) / result.count

export const perSecond = (result: JobResult): number => (result.count * 1000) / result.wallMs
