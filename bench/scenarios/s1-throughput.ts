/**
 * Scenario 1: 50,000 inputs on an instant pipeline through `Batch.run` over `NodeHttpClient.layerUndici`, next to
 * the reference: results per second (wall) and client CPU per result.
 */
import { cpuPerItem, perSecond } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import { instantRuns, of } from "./instantRuns.js"
import type { Scenario } from "./scenario.js"

export const scenario: Scenario = {
  id: "1",
  title: "throughput, instant pipeline, layerUndici",
  run: async (context) => {
    const runs = await instantRuns(context)
    const ours = of(runs, "ours-undici")
    const reference = of(runs, "reference")
    const n = context.sizes.throughput.toLocaleString("en-US")
    // runs of the two clients made back to back, in rotating order: their ratios drift less than the medians
    const paired = (f: (run: (typeof runs)[number]) => number) =>
      ours.map((run, index) => (f(run) / f(reference[index])).toFixed(2)).join(", ")
    return [
      makeRow({
        scenario: "1",
        figure: `results/s, ${n} inputs, Batch.run + layerUndici`,
        unit: "1/s",
        ours: summarize(ours.map((run) => perSecond(run.result))),
        reference: summarize(reference.map((run) => perSecond(run.result))),
        ratio: true,
        target: ">= 0.8x",
        check: (_, ratio) => ratio !== null && ratio >= 0.8,
        note: `ratio of each run to the reference run made next to it: ${paired((run) => perSecond(run.result))}`
      }),
      makeRow({
        scenario: "1",
        figure: "client CPU per result",
        unit: "µs",
        ours: summarize(ours.map((run) => cpuPerItem(run.result))),
        reference: summarize(reference.map((run) => cpuPerItem(run.result))),
        ratio: true,
        target: "<= 1.5x",
        check: (_, ratio) => ratio !== null && ratio <= 1.5,
        note: `ratio of each run to the reference run made next to it: ${paired((run) => cpuPerItem(run.result))}`
      })
    ]
  }
}
