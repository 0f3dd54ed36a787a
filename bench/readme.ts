/**
 * Writes the results of a run (default `bench/results/latest.json`) into README.md and bench/README.md, between
 * the lines `<!-- bench:start -->` and `<!-- bench:end -->`: the command, the machine, the table and its notes.
 *
 *   tsx bench/readme.ts [results.json]
 */
import { readFileSync, writeFileSync } from "node:fs"
import { table } from "./lib/figures.js"
import type { Report } from "./lib/main.js"

const root = new URL("../", import.meta.url)
const resultsPath = process.argv[2] ?? new URL("results/latest.json", import.meta.url).pathname
const results = JSON.parse(readFileSync(resultsPath, "utf8")) as Report
const { machine } = results

const packages = (["effect", "@effect/platform", "@effect/platform-node", "undici"] as const)
  .map((name) => `${name} ${machine.packages[name]}`)
  .join(", ")
const uncommitted = machine.uncommittedFilesInPackages === 0
  ? "nothing uncommitted in `packages/`"
  : `${machine.uncommittedFilesInPackages} files uncommitted in \`packages/\``
const header =
  `\`${results.command}\` at commit \`${machine.commit}\` (${uncommitted}), ${results.durationSeconds} s, on ` +
  `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}; ${packages}. ` +
  `Load average ${machine.loadAverageAtStart[0]} at the start, ${machine.loadAverageAtEnd[0]} at the end. Medians of ` +
  `${results.sizes.reps} runs, with min..max; every run is in \`bench/results/latest.json\` (\`runs\`).`
const notes = results.rows
  .filter((row) => row.note !== undefined)
  .map((row) => `- ${row.scenario}. ${row.figure}: ${row.note}`)
const block = [header, "", table(results.rows), "", "Notes printed with the table:", "", ...notes].join("\n")

for (const file of ["README.md", "bench/README.md"]) {
  const url = new URL(file, root)
  const text = readFileSync(url, "utf8")
  const pattern = /<!-- bench:start -->\n[\s\S]*?<!-- bench:end -->/
  if (!pattern.test(text)) throw new Error(`${file}: no <!-- bench:start --> ... <!-- bench:end --> block`)
  writeFileSync(url, text.replace(pattern, `<!-- bench:start -->\n${block}\n<!-- bench:end -->`))
  console.log(`${file}: table of ${results.command} at ${machine.commit} written`)
}
