/**
 * The benchmarks keep working: every scenario runs at tiny sizes (a few seconds, no targets) against a real
 * emulator process and real client processes, and produces its rows.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { type Report, runBench } from "../lib/main.js"

const dir = mkdtempSync(join(tmpdir(), "ubiops-bench-smoke-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("pnpm bench --smoke", () => {
  it("runs every scenario and writes the table as JSON", { timeout: 180_000 }, async () => {
    const out = join(dir, "smoke.json")
    const lines: Array<string> = []
    const report = await runBench({ mode: "smoke", only: [], out, log: (line) => lines.push(line) })
    const written = JSON.parse(readFileSync(out, "utf8")) as Report
    assert.deepStrictEqual(written.rows, JSON.parse(JSON.stringify(report.rows)))
    assert.deepStrictEqual([...new Set(report.rows.map((row) => row.scenario))], [
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9"
    ])
    for (const row of report.rows) {
      assert.isNull(row.pass, `${row.figure}: smoke runs check no targets`)
      const figures = [row.ours, row.reference].filter((value) => value !== null)
      assert.isAbove(figures.length, 0, row.figure)
      for (const value of figures) assert.isTrue(Number.isFinite(value), `${row.figure}: ${value}`)
    }
    assert.isTrue(report.runs.every((run) => run.result.complete))
    assert.isString(report.machine.cpu)
    assert.isTrue(lines.some((line) => line.startsWith("| # |")))
  })
})
