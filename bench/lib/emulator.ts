/**
 * The one emulator of a benchmark run, in its own process (`node --import tsx packages/emulator/src/bin.ts`), with
 * the benchmark's pipelines from a JSON config file. Its stats and fault settings are read and set over HTTP, and
 * its CPU time from `/proc`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface EmulatorStats {
  readonly created: { readonly total: number; readonly byPipeline: Record<string, number> }
  readonly calls: Record<string, number>
  readonly responses: Record<string, number>
  readonly statuses: Record<string, number>
}

export interface Snapshot {
  readonly stats: EmulatorStats
  /** CPU time of the emulator process (user + system), ms; NaN where `/proc` is not available. */
  readonly cpuMs: number
  readonly at: number
}

export interface Emulator {
  readonly baseUrl: string
  readonly origin: string
  readonly token: string
  readonly pid: number
  readonly snapshot: () => Promise<Snapshot>
  readonly setFaults: (faults: Record<string, unknown>) => Promise<void>
  readonly stop: () => Promise<void>
}

const clockTicks = 100

/** utime + stime of a process in ms, from /proc/PID/stat (clock ticks of 10 ms). */
export const processCpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
  } catch {
    return Number.NaN
  }
}

export const totalCalls = (stats: EmulatorStats): number => Object.values(stats.calls).reduce((a, b) => a + b, 0)

/** Calls per operation and responses per status between two snapshots. */
export const diff = (before: Snapshot, after: Snapshot) => {
  const calls: Record<string, number> = {}
  for (const [operation, count] of Object.entries(after.stats.calls)) {
    const delta = count - (before.stats.calls[operation] ?? 0)
    if (delta !== 0) calls[operation] = delta
  }
  const responses: Record<string, number> = {}
  for (const [status, count] of Object.entries(after.stats.responses)) {
    const delta = count - (before.stats.responses[status] ?? 0)
    if (delta !== 0) responses[status] = delta
  }
  return {
    calls,
    totalCalls: totalCalls(after.stats) - totalCalls(before.stats),
    responses,
    created: after.stats.created.total - before.stats.created.total,
    emulatorCpuMs: after.cpuMs - before.cpuMs,
    wallMs: after.at - before.at
  }
}

export type Diff = ReturnType<typeof diff>

/** Starts the emulator on a free port with `projects` (the shape of its `--config` file). */
export const start = async (options: {
  readonly repoRoot: string
  readonly projects: unknown
  readonly token: string
  /** Finished requests the emulator keeps (the oldest are dropped). */
  readonly maxFinished: number
}): Promise<Emulator> => {
  const dir = mkdtempSync(join(tmpdir(), "ubiops-bench-"))
  const config = join(dir, "pipelines.json")
  writeFileSync(config, JSON.stringify({ projects: options.projects }))
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "packages/emulator/src/bin.ts",
      "--port",
      "0",
      "--token",
      options.token,
      "--config",
      config,
      // pinned, so that a change of the emulator's default does not change the benchmark's server
      "--max-finished",
      String(options.maxFinished)
    ],
    { cwd: options.repoRoot, stdio: ["ignore", "pipe", "pipe"] }
  )
  let output = ""
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start in 30 s:\n${output}`)), 30_000)
    child.stdout!.on("data", (data: Buffer) => {
      output += data.toString()
      const match = /base URL: (\S+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.stderr!.on("data", (data: Buffer) => (output += data.toString()))
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the emulator exited (${code}):\n${output}`))
    })
  })
  const origin = new URL(baseUrl).origin
  const pid = child.pid!

  const snapshot = async (): Promise<Snapshot> => {
    const response = await fetch(`${origin}/_emulator/stats`)
    const stats = (await response.json()) as EmulatorStats
    return { stats, cpuMs: processCpuMs(pid), at: performance.now() }
  }

  const setFaults = async (faults: Record<string, unknown>) => {
    const response = await fetch(`${origin}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(faults)
    })
    if (!response.ok) throw new Error(`setting faults failed: ${response.status} ${await response.text()}`)
  }

  let stopped: Promise<void> | undefined
  const stop = () => (stopped ??= new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  }).finally(() => rmSync(dir, { recursive: true, force: true })))

  return { baseUrl, origin, token: options.token, pid, snapshot, setFaults, stop }
}
