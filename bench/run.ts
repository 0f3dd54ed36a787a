/**
 * `pnpm bench`: every figure of issue 7, our client against the raw-undici reference client, in one run against one
 * emulator process. See bench/README.md.
 *
 *   pnpm bench              the default sizes (under 5 minutes): table, and bench/results/latest.json
 *   pnpm bench --full       the exact sizes (scenario 3: 10,000 inputs, about 17 minutes; 3 runs of 4)
 *   pnpm bench --smoke      tiny sizes, a few seconds, no targets (CI)
 *   pnpm bench --only 5     some scenarios only (repeatable; written to bench/results/partial.json)
 *   pnpm bench --profile    CPU profiles of every client process, in bench/results/profiles/ (see profile.ts)
 *
 * Scenario 9 races the `ubiops-effect batch` command against the official Python client when UBIOPS_PY_SRC points at
 * a checkout of github.com/UbiOps/client-library-python (Debian: python3-requests python3-dateutil python3-urllib3).
 */
import { join } from "node:path"
import { parseArgs } from "node:util"
import { benchDir } from "./lib/build.js"
import { killAll } from "./lib/child.js"
import type { Mode } from "./lib/context.js"
import type { Emulator } from "./lib/emulator.js"
import { runBench } from "./lib/main.js"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    full: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    profile: { type: "boolean", default: false },
    out: { type: "string" }
  }
})

const mode: Mode = values.smoke ? "smoke" : values.full ? "full" : "default"
const only = (values.only ?? []).flatMap((value) => value.split(",")).map((value) => value.trim())
const stamp = new Date().toISOString().replace(/[:.]/g, "-")
// a partial run (--only) never replaces the table of a whole run
const out = values.out ??
  join(benchDir, "results", only.length > 0 ? "partial.json" : mode === "default" ? "latest.json" : `${mode}.json`)

let emulator: Emulator | undefined
const stop = (signal: string) => {
  console.error(`\n${signal}: stopping the clients and the emulator`)
  killAll()
  void (emulator?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
}
process.once("SIGINT", () => stop("SIGINT"))
process.once("SIGTERM", () => stop("SIGTERM"))

runBench({
  mode,
  only,
  out,
  profileDir: values.profile ? join(benchDir, "results", "profiles", stamp) : undefined,
  onEmulator: (started) => (emulator = started)
}).then(
  (report) => {
    const failed = report.rows.filter((row) => row.pass === false)
    if (failed.length > 0) console.log(`${failed.length} target(s) missed`)
  },
  (error: unknown) => {
    console.error(error)
    killAll()
    process.exitCode = 1
  }
)
