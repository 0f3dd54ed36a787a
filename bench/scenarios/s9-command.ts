/**
 * Scenario 9: the command as a user runs it. `ubiops-effect batch` (the cli package's executable bundled to
 * JavaScript and run on plain `node`) against the official Python client (`bench/clients/python-batch.py`, when
 * `UBIOPS_PY_SRC` points at a checkout of github.com/UbiOps/client-library-python), on JSONL files of the echo
 * pipeline: wall time, CPU per result and peak RSS of the client process (from `/usr/bin/time`), each client on a
 * fresh emulator of its own. Sizes: 1,000 and 3,000 lines; with `--full`, also 50,000.
 */
import { execFile, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { benchDir, repoRoot } from "../lib/build.js"
import type { Context } from "../lib/context.js"
import * as Emulator from "../lib/emulator.js"
import { makeRow, type Row, summarize } from "../lib/figures.js"
import type { Scenario } from "./scenario.js"

type Client = "ours" | "python"

interface Measured {
  readonly client: Client
  readonly lines: number
  readonly wallSeconds: number
  readonly cpuSeconds: number
  readonly maxRssMb: number
  readonly outputLines: number
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

/** Runs `command` under /usr/bin/time: wall, user + system CPU and peak RSS of the process. */
const timed = (command: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ wallSeconds: number; cpuSeconds: number; maxRssMb: number; output: string }>((resolve, reject) => {
    const child = spawn(time, ["-f", "@@time %e %U %S %M", ...command], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"]
    })
    let output = ""
    child.stderr!.on("data", (data: Buffer) => (output += data.toString()))
    child.once("exit", (code) => {
      const match = /@@time ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(output)
      if (code !== 0 || match === null) return reject(new Error(`${command.join(" ")} failed (${code}):\n${output}`))
      resolve({
        wallSeconds: Number(match[1]),
        cpuSeconds: Number(match[2]) + Number(match[3]),
        maxRssMb: Number(match[4]) / 1024,
        output
      })
    })
  })

const runOne = async (client: Client, lines: number, input: string, bin: string): Promise<Measured> => {
  const emulator = await Emulator.start({ repoRoot, token: "bench-token", maxFinished: 250_000, projects: [] })
  const dir = mkdtempSync(join(tmpdir(), "ubiops-bench-command-"))
  const output = join(dir, "out.jsonl")
  try {
    const common = ["--project", "demo", "--pipeline", "echo", "--input", input, "--output", output]
    const command = client === "ours"
      ? [process.execPath, bin, "batch", ...common, "--no-progress"]
      : [
        "/usr/bin/python3",
        join(benchDir, "clients/python-batch.py"),
        "--host",
        emulator.baseUrl,
        "--token",
        emulator.token,
        ...common
      ]
    const measured = await timed(command, {
      UBIOPS_API_HOST: emulator.baseUrl,
      UBIOPS_API_TOKEN: emulator.token
    })
    const outputLines = readFileSync(output, "utf8").split("\n").filter((line) => line !== "").length
    return { client, lines, ...measured, outputLines }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await emulator.stop()
  }
}

const rowsOf = (lines: number, runs: ReadonlyArray<Measured>): Array<Row> => {
  const of = (client: Client, f: (run: Measured) => number) => {
    const values = runs.filter((run) => run.client === client).map(f)
    return values.length === 0 ? undefined : summarize(values)
  }
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
    figure("output lines", "", (run) => run.outputLines, "= lines", (ours) => ours === lines)
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
    const clients: ReadonlyArray<Client> = python === undefined ? ["ours"] : ["ours", "python"]
    if (python === undefined) context.log("  scenario 9: UBIOPS_PY_SRC is not set, the Python client is left out")
    const sizes = context.mode === "smoke" ? [200] : context.mode === "full" ? [1_000, 3_000, 50_000] : [1_000, 3_000]
    const bin = await buildCommand()
    const dir = mkdtempSync(join(tmpdir(), "ubiops-bench-inputs-"))
    const rows: Array<Row> = []
    try {
      for (const lines of sizes) {
        const input = join(dir, `echo-${lines}.jsonl`)
        writeFileSync(
          input,
          Array.from({ length: lines }, (_, n) => `${JSON.stringify({ text: `hello ${n}`, n })}\n`).join("")
        )
        const runs: Array<Measured> = []
        for (let rep = 0; rep < (context.mode === "smoke" ? 1 : context.sizes.reps); rep++) {
          for (const client of rep % 2 === 0 ? clients : [...clients].reverse()) {
            const measured = await runOne(client, lines, input, bin)
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
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    return rows
  }
}
