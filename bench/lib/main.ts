/**
 * One benchmark run: build the client bundles, start the emulator, run the scenarios, print the table, write the
 * JSON. `run.ts` is its command line; the smoke test calls it with `mode: "smoke"`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { dirname } from "node:path"
import { scenarios } from "../scenarios/index.js"
import { buildClients, repoRoot } from "./build.js"
import { killAll } from "./child.js"
import { type Context, type Mode, projects, sizes } from "./context.js"
import * as Emulator from "./emulator.js"
import { type Row, table } from "./figures.js"
import { machine } from "./machine.js"

/** `pnpm bench` must finish in under 5 minutes; scenario 4 stops repeating when the next run would not fit. */
export const budgetSeconds = 285

export interface Options {
  readonly mode: Mode
  /** Scenario ids to run (all when empty). */
  readonly only: ReadonlyArray<string>
  /** Where to write the JSON. */
  readonly out: string
  /** Write CPU profiles of the client processes into this directory. */
  readonly profileDir?: string | undefined
  readonly log?: ((line: string) => void) | undefined
  /** Called with the emulator as soon as it runs (to stop it on Ctrl-C). */
  readonly onEmulator?: ((emulator: Emulator.Emulator) => void) | undefined
}

export interface Report {
  readonly mode: Mode
  readonly command: string
  readonly machine: ReturnType<typeof machine> & { readonly loadAverageAtEnd: ReadonlyArray<number> }
  readonly durationSeconds: number
  readonly sizes: (typeof sizes)[Mode]
  readonly rows: ReadonlyArray<Row>
  /** Every measured run: what the client process reported, and the emulator's stats and CPU around it. */
  readonly runs: Context["runs"]
}

const commandOf = (options: Options) =>
  ["pnpm bench", options.mode === "default" ? "" : `--${options.mode}`, ...options.only.map((id) => `--only ${id}`)]
    .filter((part) => part !== "")
    .join(" ")

export const runBench = async (options: Options): Promise<Report> => {
  const log = options.log ?? ((line: string) => console.log(line))
  const started = performance.now()
  const about = machine(repoRoot)
  const modeSizes = sizes[options.mode]
  log(`ubiops-effect benchmarks (${options.mode}): ${about.cpu}, ${about.cores} cores, Node ${about.node}`)
  const outputs = await buildClients(options.mode === "smoke" ? `smoke-${process.pid}` : options.mode)
  if (options.profileDir !== undefined) mkdirSync(options.profileDir, { recursive: true })
  const emulator = await Emulator.start({
    repoRoot,
    token: "bench-token",
    maxFinished: 250_000,
    projects: projects(options.mode, modeSizes.reps)
  })
  options.onEmulator?.(emulator)
  log(`emulator: ${emulator.baseUrl} (pid ${emulator.pid})`)
  const memo = new Map<string, Promise<unknown>>()
  const runs: Context["runs"] = []
  const context: Context = {
    runs,
    outputs,
    deadline: options.mode === "full" ? Number.POSITIVE_INFINITY : started + budgetSeconds * 1000,
    mode: options.mode,
    sizes: modeSizes,
    emulator,
    profileDir: options.profileDir,
    log,
    memo: <A>(key: string, make: () => Promise<A>) => {
      let value = memo.get(key)
      if (value === undefined) {
        value = make()
        memo.set(key, value)
      }
      return value as Promise<A>
    }
  }
  const rows: Array<Row> = []
  try {
    for (const scenario of scenarios) {
      if (options.only.length > 0 && !options.only.includes(scenario.id)) continue
      const scenarioStarted = performance.now()
      log(`scenario ${scenario.id}: ${scenario.title}`)
      rows.push(...await scenario.run(context))
      log(`  (${((performance.now() - scenarioStarted) / 1000).toFixed(0)} s)`)
    }
  } finally {
    killAll()
    await emulator.stop()
    if (options.mode === "smoke") rmSync(dirname(outputs.ours), { recursive: true, force: true })
  }
  rows.sort((a, b) => Number(a.scenario) - Number(b.scenario))
  // tiny sizes say nothing about the targets
  if (options.mode === "smoke") rows.forEach((row, index) => (rows[index] = { ...row, pass: null }))
  const report: Report = {
    mode: options.mode,
    command: commandOf(options),
    machine: { ...about, loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100) },
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    sizes: modeSizes,
    rows,
    runs
  }
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`)
  log("")
  log(table(rows))
  log("")
  for (const row of rows) if (row.note !== undefined) log(`${row.scenario}. ${row.figure}: ${row.note}`)
  const versions = Object.entries(about.packages).map(([name, version]) => `${name} ${version}`).join(", ")
  log(`machine: ${about.cpu}, ${about.cores} cores, ${about.memoryGB} GB, ${about.os}, Node ${about.node}`)
  log(
    `packages: ${versions}; commit ${about.commit}` + (about.uncommittedFilesInPackages > 0
      ? ` with ${about.uncommittedFilesInPackages} uncommitted files in packages/`
      : "")
  )
  log(
    `load average at start ${about.loadAverageAtStart.join(" ")}, at end ${report.machine.loadAverageAtEnd.join(" ")}`
  )
  log(`${report.command}: ${report.durationSeconds} s; written to ${options.out}`)
  return report
}
