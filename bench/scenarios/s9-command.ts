/**
 * Scenario 9: the command as a user runs it. `ubiops-effect batch` (the cli package's executable bundled to
 * JavaScript and run on plain `node`) against the official Python client (`bench/clients/python-batch.py`, when
 * `UBIOPS_PY_SRC` points at a checkout of github.com/UbiOps/client-library-python), on JSONL files of the echo
 * pipeline: wall time, CPU per result and peak RSS of the client process (from `/usr/bin/time`), each client on a
 * fresh emulator of its own. Sizes: 1,000 and 3,000 lines; with `--full`, also 50,000.
 *
 * With `--full`, also the issue's rate-limited job: 60,000 lines against the emulator limited to 300 calls a minute
 * (UbiOps' limit; about 480 calls, two windows): wall time, 429s received, calls made, wall time against the least
 * the fixed window allows.
 *
 * In the same run, `Batch.run` alone over the same file (`bench/clients/batch-run.ts`: the command's transport,
 * window and concurrency, without the command): the command's CPU per result against the library's. With `--full`,
 * the memory run: the command on 100,000 and on 1,000,000 lines, peak RSS of each (flat means the second is within
 * 10% of the first).
 */
import * as esbuild from "esbuild"
import { execFile, spawn } from "node:child_process"
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { benchDir, repoRoot } from "../lib/build.js"
import type { Context } from "../lib/context.js"
import * as Emulator from "../lib/emulator.js"
import { makeRow, type Row, summarize } from "../lib/figures.js"
import { againstBound, boundSeconds } from "../lib/rateWindow.js"
import type { Scenario } from "./scenario.js"

/** `library` is `Batch.run` alone (its CPU is that of the run, start-up excluded). */
type Client = "ours" | "python" | "library"

interface Measured {
  readonly client: Client
  readonly lines: number
  readonly wallSeconds: number
  readonly cpuSeconds: number
  readonly maxRssMb: number
  readonly outputLines: number
  /** HTTP calls the emulator answered, and how many of them with 429. */
  readonly calls: number
  readonly tooMany: number
}

const time = "/usr/bin/time"

/** The executable exactly as the cli package ships it: its build script bundles `src/bin.ts` (`--bin-only`). */
const buildCommand = async (): Promise<string> => {
  const packageDir = join(repoRoot, "packages/cli")
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(repoRoot, "scripts/build-package.mjs"), "--bin-only"],
      { cwd: packageDir },
      (error) => error ? reject(error) : resolve()
    )
  )
  return join(packageDir, "dist/bin/ubiops-effect.mjs")
}

/** `Batch.run` alone, bundled like the bench's clients (workspace packages in, `effect` and `@effect/*` external). */
const buildLibraryRun = async (): Promise<string> => {
  const outfile = join(benchDir, "build/s9/batch-run.mjs")
  await esbuild.build({
    entryPoints: [join(benchDir, "clients/batch-run.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["effect", "effect/*", "@effect/*", "undici"],
    logLevel: "warning"
  })
  return outfile
}

/** `lines` lines of the echo pipeline's input, written as a stream (a million lines are 35 MB). */
const writeInput = (path: string, lines: number) =>
  new Promise<void>((resolve, reject) => {
    const file = createWriteStream(path)
    file.once("error", reject)
    let n = 0
    const more = () => {
      while (n < lines) {
        let block = ""
        for (const end = Math.min(lines, n + 10_000); n < end; n++) {
          block += `${JSON.stringify({ text: `hello ${n}`, n })}\n`
        }
        if (!file.write(block)) return void file.once("drain", more)
      }
      file.end(resolve)
    }
    more()
  })

const countLines = (path: string) =>
  new Promise<number>((resolve, reject) => {
    let count = 0
    createReadStream(path).on("data", (bytes) => {
      for (const byte of bytes as Buffer) if (byte === 10) count++
    }).once("end", () => resolve(count)).once("error", reject)
  })

/** Runs `command` under /usr/bin/time: wall, user + system CPU and peak RSS of the process. */
const timed = (command: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ wallSeconds: number; cpuSeconds: number; maxRssMb: number; output: string; stdout: string }>((
    resolve,
    reject
  ) => {
    const child = spawn(time, ["-f", "@@time %e %U %S %M", ...command], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    let stdout = ""
    child.stderr!.on("data", (data: Buffer) => (output += data.toString()))
    child.stdout!.on("data", (data: Buffer) => (stdout += data.toString()))
    child.once("exit", (code) => {
      const match = /@@time ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(output)
      if (code !== 0 || match === null) return reject(new Error(`${command.join(" ")} failed (${code}):\n${output}`))
      resolve({
        wallSeconds: Number(match[1]),
        cpuSeconds: Number(match[2]) + Number(match[3]),
        maxRssMb: Number(match[4]) / 1024,
        output,
        stdout
      })
    })
  })

const runOne = async (
  client: Client,
  lines: number,
  input: string,
  programs: { readonly bin: string; readonly library: string },
  rateLimitPerMinute?: number
): Promise<Measured> => {
  const emulator = await Emulator.start({ repoRoot, token: "bench-token", maxFinished: 250_000, projects: [] })
  const dir = mkdtempSync(join(tmpdir(), "ubiops-bench-command-"))
  const output = join(dir, "out.jsonl")
  try {
    const common = ["--project", "demo", "--pipeline", "echo", "--input", input, "--output", output]
    const command = client === "ours"
      ? [process.execPath, programs.bin, "batch", ...common, "--no-progress"]
      : client === "library"
      ? [process.execPath, programs.library, input]
      : [
        "/usr/bin/python3",
        join(benchDir, "clients/python-batch.py"),
        "--host",
        emulator.baseUrl,
        "--token",
        emulator.token,
        ...common
      ]
    // setting the limit also opens a new window, so the run starts with a whole one
    if (rateLimitPerMinute !== undefined) await emulator.setFaults({ rateLimitPerMinute })
    const timedRun = await timed(command, {
      UBIOPS_API_HOST: emulator.baseUrl,
      UBIOPS_API_TOKEN: emulator.token
    })
    const { stats } = await emulator.snapshot()
    const measured = { ...timedRun, calls: Emulator.totalCalls(stats), tooMany: stats.responses["429"] ?? 0 }
    if (client === "library") {
      const { results, runCpuSeconds } = JSON.parse(measured.stdout) as { results: number; runCpuSeconds: number }
      return { client, lines, ...measured, cpuSeconds: runCpuSeconds, outputLines: results }
    }
    return { client, lines, ...measured, outputLines: await countLines(output) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await emulator.stop()
  }
}

/** The summary of `f` over the runs of `client`; `undefined` when it made none (the Python client left out). */
const summaryOf = (runs: ReadonlyArray<Measured>, client: Client, f: (run: Measured) => number) => {
  const values = runs.filter((run) => run.client === client).map(f)
  return values.length === 0 ? undefined : summarize(values)
}

const rowsOf = (lines: number, runs: ReadonlyArray<Measured>): Array<Row> => {
  const of = (client: Client, f: (run: Measured) => number) => summaryOf(runs, client, f)
  const size = lines.toLocaleString("en-US")
  const figure = (
    name: string,
    unit: string,
    f: (run: Measured) => number,
    target: string,
    check: ((ours: number, ratio: number | null) => boolean) | undefined
  ) =>
    makeRow({
      scenario: "9",
      figure: `${name}, ${size} lines`,
      unit,
      ours: of("ours", f),
      reference: of("python", f),
      ratio: true,
      target,
      check
    })
  return [
    figure(
      "wall time (vs the Python client)",
      "s",
      (run) => run.wallSeconds,
      "ratio < 1",
      (_, ratio) => ratio === null || ratio < 1
    ),
    figure(
      "CPU per result",
      "µs",
      (run) => (run.cpuSeconds * 1e6) / run.lines,
      lines >= 50_000 ? "ratio <= 0.125 (8x less)" : "reported",
      lines >= 50_000 ? (_, ratio) => ratio === null || ratio <= 0.125 : undefined
    ),
    figure(
      "peak RSS",
      "MB",
      (run) => run.maxRssMb,
      lines >= 50_000 ? "ratio <= 1.5" : "reported",
      lines >= 50_000 ? (_, ratio) => ratio === null || ratio <= 1.5 : undefined
    ),
    figure("output lines", "", (run) => run.outputLines, "= lines", (ours) => ours === lines),
    makeRow({
      scenario: "9",
      figure: `CPU per result, command vs Batch.run alone (run only), ${size} lines`,
      unit: "µs",
      ours: of("ours", (run) => (run.cpuSeconds * 1e6) / run.lines),
      reference: of("library", (run) => (run.cpuSeconds * 1e6) / run.lines),
      ratio: true,
      // at small sizes the command's start-up (which the library's figure leaves out) is most of it
      target: lines >= 50_000 ? "ratio <= 1.5" : "reported",
      check: lines >= 50_000 ? (_, ratio) => ratio === null || ratio <= 1.5 : undefined
    })
  ]
}

/** The memory run: peak RSS of the command on 100,000 and 1,000,000 lines. */
const memoryRows = async (
  context: Context,
  dir: string,
  programs: { readonly bin: string; readonly library: string }
): Promise<Array<Row>> => {
  const peaks: Array<number> = []
  for (const lines of [100_000, 1_000_000]) {
    const input = join(dir, `echo-${lines}.jsonl`)
    await writeInput(input, lines)
    const measured = await runOne("ours", lines, input, programs)
    rmSync(input, { force: true })
    context.log(
      `  memory run, ${lines} lines: ${measured.maxRssMb.toFixed(0)} MB peak, ${
        measured.wallSeconds.toFixed(0)
      } s, ${measured.outputLines} output lines`
    )
    if (measured.outputLines !== lines) throw new Error(`memory run: ${measured.outputLines} of ${lines} output lines`)
    peaks.push(measured.maxRssMb)
  }
  const row = (figure: string, value: number, unit: string, target: string, pass: (value: number) => boolean) =>
    makeRow({
      scenario: "9",
      figure,
      unit,
      ours: summarize([value]),
      reference: undefined,
      ratio: false,
      target,
      check: pass
    })
  return [
    row("command peak RSS, 100,000 lines", peaks[0], "MB", "< 150", (mb) => mb < 150),
    row("command peak RSS, 1,000,000 lines", peaks[1], "MB", "< 150", (mb) => mb < 150),
    row("command peak RSS, 1,000,000 / 100,000 lines", peaks[1] / peaks[0], "", "<= 1.1 (flat)", (r) => r <= 1.1)
  ]
}

/** The issue's third row: 60,000 lines at UbiOps' limit of 300 calls a minute (about 480 calls: two windows). */
const rateLimited = { lines: 60_000, limit: 300 }

/** The command and the Python client on `rateLimited`, each on a fresh emulator limited to `limit` calls a minute. */
const rateLimitedRows = async (
  context: Context,
  dir: string,
  programs: { readonly bin: string; readonly library: string },
  clients: ReadonlyArray<Client>
): Promise<Array<Row>> => {
  const { limit, lines } = rateLimited
  const input = join(dir, `echo-${lines}.jsonl`)
  await writeInput(input, lines)
  const runs: Array<Measured> = []
  for (let rep = 0; rep < context.sizes.reps; rep++) {
    for (const client of rep % 2 === 0 ? clients : [...clients].reverse()) {
      const measured = await runOne(client, lines, input, programs, limit)
      context.log(
        `  ${lines} lines at ${limit} calls/min, ${client}: ${measured.wallSeconds.toFixed(1)} s, ${measured.calls} ` +
          `calls, ${measured.tooMany} x 429, ${measured.outputLines} output lines`
      )
      if (measured.outputLines !== lines) throw new Error(`${client}: ${measured.outputLines} of ${lines} lines`)
      runs.push(measured)
    }
  }
  rmSync(input, { force: true })
  const of = (client: Client, f: (run: Measured) => number) => summaryOf(runs, client, f)
  const figure = (name: string, unit: string, f: (run: Measured) => number, target: string, ratio: boolean) =>
    makeRow({
      scenario: "9",
      figure: `${name}, ${lines.toLocaleString("en-US")} lines at ${limit} calls/min`,
      unit,
      ours: of("ours", f),
      reference: of("python", f),
      ratio,
      target,
      check: target === "ratio < 1" ? (_, r) => r === null || r < 1 : undefined
    })
  return [
    figure("wall time (vs the Python client)", "s", (run) => run.wallSeconds, "ratio < 1", true),
    figure("429s received", "", (run) => run.tooMany, "reported", false),
    figure("HTTP calls made", "", (run) => run.calls, "reported", true),
    figure(
      againstBound,
      "",
      (run) => run.wallSeconds / boundSeconds(run.calls, limit),
      "reported",
      true
    )
  ]
}

export const scenario: Scenario = {
  id: "9",
  title: "the batch command against the official Python client",
  run: async (context: Context) => {
    if (!existsSync(time)) {
      context.log("  scenario 9 skipped: /usr/bin/time is not installed (Debian: apt-get install time)")
      return []
    }
    const python = process.env.UBIOPS_PY_SRC
    const clients: ReadonlyArray<Client> = python === undefined ? ["ours", "library"] : ["ours", "python", "library"]
    if (python === undefined) context.log("  scenario 9: UBIOPS_PY_SRC is not set, the Python client is left out")
    const sizes = context.mode === "smoke" ? [200] : context.mode === "full" ? [1_000, 3_000, 50_000] : [1_000, 3_000]
    const programs = { bin: await buildCommand(), library: await buildLibraryRun() }
    const dir = mkdtempSync(join(tmpdir(), "ubiops-bench-inputs-"))
    const rows: Array<Row> = []
    try {
      for (const lines of sizes) {
        const input = join(dir, `echo-${lines}.jsonl`)
        await writeInput(input, lines)
        const runs: Array<Measured> = []
        for (let rep = 0; rep < (context.mode === "smoke" ? 1 : context.sizes.reps); rep++) {
          for (const client of rep % 2 === 0 ? clients : [...clients].reverse()) {
            const measured = await runOne(client, lines, input, programs)
            context.log(
              `  ${lines} lines, ${client}: ${measured.wallSeconds.toFixed(1)} s, ${
                ((measured.cpuSeconds * 1e6) / lines).toFixed(0)
              } µs CPU/result, ${measured.maxRssMb.toFixed(0)} MB`
            )
            runs.push(measured)
          }
        }
        rows.push(...rowsOf(lines, runs))
      }
      if (context.mode === "full") {
        rows.push(...await rateLimitedRows(context, dir, programs, clients.filter((client) => client !== "library")))
        rows.push(...await memoryRows(context, dir, programs))
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    return rows
  }
}
