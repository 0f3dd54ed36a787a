/**
 * Scenario 5: 5,000 sequential `get` calls (ours: `PipelineRequests.get` in an `Effect.gen` loop over
 * `layerUndici`; the reference: `await agent.request(...)` and `JSON.parse` in a `for` loop), round robin over 250
 * existing requests, after 200 warm-up calls.
 */
import { cpuPerItem, createRequests, getsJob, measure, type Measured, perSecond, rotate } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import type { ClientKind } from "../lib/jobs.js"
import type { Scenario } from "./scenario.js"

export const scenario: Scenario = {
  id: "5",
  title: "sequential get",
  run: async (context) => {
    const ids = await createRequests(context, 250)
    const runs: Array<Measured> = []
    for (let rep = 0; rep < context.sizes.reps; rep++) {
      for (const client of rotate<ClientKind>(["ours-undici", "reference"], rep)) {
        const job = getsJob(context, client, { n: context.sizes.gets, warmup: context.sizes.getsWarmup, ids })
        const measured = await measure(context, job)
        if (measured.emulator.totalCalls !== context.sizes.gets) {
          throw new Error(`${client}: ${measured.emulator.totalCalls} calls for ${context.sizes.gets} gets`)
        }
        context.log(`  run ${rep + 1} ${client}: ${Math.round(perSecond(measured.result))} calls/s`)
        runs.push(measured)
      }
    }
    const figure = (f: (run: Measured) => number) => ({
      ours: summarize(runs.filter((run) => run.client === "ours-undici").map(f)),
      reference: summarize(runs.filter((run) => run.client === "reference").map(f))
    })
    const cpu = figure((run) => cpuPerItem(run.result))
    return [
      makeRow({
        scenario: "5",
        figure: `calls/s, ${context.sizes.gets.toLocaleString("en-US")} sequential gets`,
        unit: "1/s",
        ...figure((run) => perSecond(run.result)),
        ratio: true,
        target: ">= 0.5x",
        check: (_, ratio) => ratio !== null && ratio >= 0.5
      }),
      makeRow({
        scenario: "5",
        figure: "client CPU per call",
        unit: "µs",
        ...cpu,
        ratio: true,
        target: "reported",
        check: undefined,
        note: `ours costs ${(cpu.ours.median - cpu.reference.median).toFixed(0)} µs of client CPU more per call`
      })
    ]
  }
}
