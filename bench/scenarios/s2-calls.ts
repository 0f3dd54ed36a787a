/**
 * Scenario 2: HTTP calls per result in scenario 1's runs, from the emulator's stats (difference before and after
 * each measured run).
 */
import { makeRow, summarize } from "../lib/figures.js"
import { instantRuns, of } from "./instantRuns.js"
import type { Scenario } from "./scenario.js"

export const scenario: Scenario = {
  id: "2",
  title: "HTTP calls per result",
  run: async (context) => {
    const runs = await instantRuns(context)
    const perResult = (client: "ours-undici" | "reference") =>
      summarize(of(runs, client).map((run) => run.emulator.totalCalls / run.result.count))
    return [
      makeRow({
        scenario: "2",
        figure: "HTTP calls per result (emulator stats), scenario 1's runs",
        unit: "",
        ours: perResult("ours-undici"),
        reference: perResult("reference"),
        ratio: true,
        target: "<= 0.01",
        check: (ours) => ours <= 0.01
      })
    ]
  }
}
