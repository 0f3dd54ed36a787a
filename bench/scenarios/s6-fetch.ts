/**
 * Scenario 6: scenario 1 with `FetchHttpClient.layer` as our transport, for the record (the reference is the same
 * raw undici client as in scenario 1).
 */
import { cpuPerItem, perSecond } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import { instantRuns, of } from "./instantRuns.js"
import type { Scenario } from "./scenario.js"

export const scenario: Scenario = {
  id: "6",
  title: "throughput, instant pipeline, FetchHttpClient",
  run: async (context) => {
    const runs = await instantRuns(context)
    const ours = of(runs, "ours-fetch")
    const reference = of(runs, "reference")
    return [
      makeRow({
        scenario: "6",
        figure: "results/s, Batch.run + FetchHttpClient",
        unit: "1/s",
        ours: summarize(ours.map((run) => perSecond(run.result))),
        reference: summarize(reference.map((run) => perSecond(run.result))),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "6",
        figure: "client CPU per result, FetchHttpClient",
        unit: "µs",
        ours: summarize(ours.map((run) => cpuPerItem(run.result))),
        reference: summarize(reference.map((run) => cpuPerItem(run.result))),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "6",
        figure: "HTTP calls per result, FetchHttpClient",
        unit: "",
        ours: summarize(ours.map((run) => run.emulator.totalCalls / run.result.count)),
        reference: summarize(reference.map((run) => run.emulator.totalCalls / run.result.count)),
        ratio: true,
        target: "reported",
        check: undefined
      })
    ]
  }
}
