/**
 * Client processes: one fresh `node` process per measured run, so that each client starts with a clean heap, no
 * JIT state from the other client, and its own `process.cpuUsage()` and RSS.
 *
 * The conversation: the parent sends the job; the client warms up and says `ready`; the parent takes a snapshot of
 * the emulator and says `go`; the client runs the measured part and sends its result; the parent takes another
 * snapshot. With `profile`, the client runs with `--cpu-prof` (`profile.ts` maps the bundle's positions back to
 * the sources with the bundle's source map).
 */
import { type ChildProcess, fork } from "node:child_process"
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Outputs } from "./build.js"
import type { ChildMessage, Job, JobResult } from "./jobs.js"

export interface ClientProcess {
  readonly ready: Promise<void>
  readonly go: () => void
  readonly done: Promise<JobResult>
  readonly kill: () => void
}

const running = new Set<ChildProcess>()

/** Kills every client process still running (on Ctrl-C or failure). */
export const killAll = (): void => {
  for (const child of running) child.kill("SIGKILL")
  running.clear()
}

export interface SpawnOptions {
  /** The client bundles. */
  readonly outputs: Outputs
  /** Write a CPU profile of the process into this directory. */
  readonly profileDir?: string | undefined
  /** Give up after this long (ms). */
  readonly timeoutMs: number
  /** More node flags for the client process (diagnostics, e.g. `--trace-gc`). */
  readonly execArgv?: ReadonlyArray<string> | undefined
}

export const spawnClient = (job: Job, options: SpawnOptions): ClientProcess => {
  const which = job.client === "reference" ? "reference" : "ours"
  const profiling = options.profileDir !== undefined
  const profileName = `${job.client}-${job.kind}-${process.hrtime.bigint()}.cpuprofile`
  // each run profiles into a directory of its own, and the main thread's profile (thread id 0 in Node's default
  // name CPU.date.time.pid.tid.seq) is kept: a process with worker threads writes one profile per thread
  const profileRunDir = profiling ? join(options.profileDir!, `${profileName}.d`) : ""
  if (profiling) mkdirSync(profileRunDir, { recursive: true })
  const child = fork(options.outputs[which], [], {
    execArgv: [
      ...(options.execArgv ?? []),
      ...(process.env["BENCH_NODE_ARGS"]?.split(" ") ?? []),
      ...(profiling ?
        [
          "--cpu-prof",
          "--cpu-prof-dir",
          profileRunDir
        ] :
        [])
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  running.add(child)
  let onReady: () => void = () => {}
  let failReady: (error: Error) => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve
    failReady = reject
  })
  const done = new Promise<JobResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${job.client} ${job.kind} took longer than ${options.timeoutMs} ms`))
    }, options.timeoutMs)
    let result: JobResult | undefined
    let error: Error | undefined
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") onReady()
      else if (message.type === "done") result = message.result
      else error = new Error(`${job.client} ${job.kind} failed: ${message.message}`)
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      const failure = error ?? (result === undefined
        ? new Error(`${job.client} ${job.kind} exited (${code ?? signal}) without a result`)
        : undefined)
      if (failure !== undefined) {
        failReady(failure)
        reject(failure)
      } else {
        if (profiling) {
          const main = readdirSync(profileRunDir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name))
          if (main !== undefined) renameSync(join(profileRunDir, main), join(options.profileDir!, profileName))
          rmSync(profileRunDir, { recursive: true, force: true })
          // beside the profile: which run it is, and when its measured part began and ended
          const { ids: _ids, ...described } = job as typeof job & { ids?: unknown }
          writeFileSync(
            join(options.profileDir!, `${profileName}.json`),
            JSON.stringify({ job: described, result }, null, 2)
          )
        }
        resolve(result!)
      }
    })
  })
  // a failure before `ready` is reported through `done` as well; avoid an unhandled rejection on `ready`
  ready.catch(() => {})
  child.send({ type: "job", job })
  return {
    ready,
    go: () => child.send({ type: "go" }),
    done,
    kill: () => child.kill("SIGKILL")
  }
}

/** Runs one client alone: snapshot before and after its measured part. */
export const runClient = async <S>(
  job: Job,
  snapshot: () => Promise<S>,
  options: SpawnOptions
): Promise<{ readonly result: JobResult; readonly before: S; readonly after: S }> => {
  const { after, before, results } = await runTogether([job], snapshot, options)
  return { result: results[0], before, after }
}

/** Runs several clients at once: all warm up, one snapshot, all go, all finish, one snapshot. */
export const runTogether = async <S>(
  jobs: ReadonlyArray<Job>,
  snapshot: () => Promise<S>,
  options: SpawnOptions
): Promise<{ readonly results: Array<JobResult>; readonly before: S; readonly after: S }> => {
  const clients = jobs.map((job) => spawnClient(job, options))
  try {
    await Promise.all(clients.map((client) => Promise.race([client.ready, client.done.then(() => {})])))
    const before = await snapshot()
    for (const client of clients) client.go()
    const results = await Promise.all(clients.map((client) => client.done))
    const after = await snapshot()
    return { results, before, after }
  } catch (error) {
    for (const client of clients) client.kill()
    throw error
  }
}
