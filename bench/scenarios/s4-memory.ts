/**
 * Scenario 4: 1,000,000 inputs from a lazy generator on the instant pipeline, each client in a fresh process with
 * no warm-up: RSS when the 100,000th and the 1,000,000th result are emitted, and the peak (the kernel's `maxRSS`
 * of the process, which the 50 ms samples never exceed).
 */
import { batchJob, measure, type Measured, perSecond, rotate } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import type { ClientKind } from "../lib/jobs.js"
import type { Scenario } from "./scenario.js"

const mb = (bytes: number) => bytes / 1e6

export const scenario: Scenario = {
  id: "4",
  title: "memory, 1,000,000 streamed inputs",
  run: async (context) => {
    const { memory: n, memoryMarks: marks, memoryReps: reps } = context.sizes
    const runs: Array<Measured> = []
    let done = 0
    for (let rep = 0; rep < reps; rep++) {
      const repStarted = performance.now()
      for (const client of rotate<ClientKind>(["ours-undici", "reference"], rep)) {
        const job = batchJob(context, client, { pipeline: "instant", n, rssMarks: marks })
        const measured = await measure(context, job, { timeoutMs: 900_000 })
        context.log(
          `  run ${rep + 1} ${client}: ${Math.round(measured.result.wallMs / 1000)} s, peak ${
            mb(measured.result.maxRss).toFixed(0)
          } MB`
        )
        runs.push(measured)
      }
      done++
      const repMillis = performance.now() - repStarted
      if (rep + 1 < reps && performance.now() + repMillis * 1.2 > context.deadline) {
        context.log(`  stopping after ${done} run(s) per client: another would not fit the 5-minute budget`)
        break
      }
    }
    const figure = (f: (run: Measured) => number) => ({
      ours: summarize(runs.filter((run) => run.client === "ours-undici").map(f)),
      reference: summarize(runs.filter((run) => run.client === "reference").map(f))
    })
    const [first, last] = marks.map((mark) => mark.toLocaleString("en-US"))
    const runsNote = done < 3
      ? `${done} run(s) per client: a further run of ${
        n.toLocaleString("en-US")
      } would not have fitted the 5-minute budget (pnpm bench --full always runs 3)`
      : undefined
    return [
      makeRow({
        scenario: "4",
        figure: `peak RSS, ${n.toLocaleString("en-US")} inputs from a generator`,
        unit: "MB",
        ...figure((run) => mb(Math.max(run.result.maxRss, run.result.rssPeakSampled))),
        ratio: true,
        target: "<= 250 MB",
        check: (ours) => ours <= 250,
        note: runsNote
      }),
      makeRow({
        scenario: "4",
        figure: `RSS at result ${first}`,
        unit: "MB",
        ...figure((run) => mb(run.result.rssAtMarks[0])),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "4",
        figure: `RSS at result ${last}`,
        unit: "MB",
        ...figure((run) => mb(run.result.rssAtMarks[1])),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "4",
        figure: "RSS before the first input (modules loaded, client built)",
        unit: "MB",
        ...figure((run) => mb(run.result.memoryAtStart.rss)),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "4",
        figure: `V8 heap used / heap total at result ${last}`,
        unit: "MB",
        ...figure((run) => mb(run.result.memoryAtMarks[1].heapUsed)),
        ratio: true,
        target: "reported",
        check: undefined,
        note: (["ours-undici", "reference"] as const).map((client) =>
          `heap total ${client}: ${
            runs.filter((run) => run.client === client).map((run) =>
              mb(run.result.memoryAtMarks[1].heapTotal).toFixed(0)
            ).join("/")
          } MB`
        ).join("; ")
      }),
      makeRow({
        scenario: "4",
        figure: `RSS growth from ${first} to ${last}`,
        unit: "%",
        ...figure((run) => 100 * (run.result.rssAtMarks[1] / run.result.rssAtMarks[0] - 1)),
        ratio: false,
        target: "<= 20%",
        check: (ours) => ours <= 20
      }),
      makeRow({
        scenario: "4",
        figure: "results/s over the whole run (no warm-up)",
        unit: "1/s",
        ...figure((run) => perSecond(run.result)),
        ratio: true,
        target: "reported",
        check: undefined
      })
    ]
  }
}
