/**
 * Scenario 8: 20,000 inputs on the instant pipeline (about 160 calls) against the emulator limited to 100 calls a
 * minute, a job that needs two rate windows (with `--full`, also 60,000 inputs at 300 a minute, UbiOps' limit:
 * about 480 calls) (`POST /_emulator/faults`, set right before each measured run, which also opens a new rate
 * window; `{}` after). 429s received and the wall time against the least the fixed window allows
 * (`lib/rateWindow.ts`).
 */
import { batchJob, type Context, measure, type Measured, rotate } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import type { ClientKind } from "../lib/jobs.js"
import { againstBound, boundSeconds } from "../lib/rateWindow.js"
import type { Scenario } from "./scenario.js"

export const rateLimitRuns = async (
  context: Context,
  options: { readonly n: number; readonly limit: number; readonly reps: number; readonly label: string }
): Promise<Array<Measured>> => {
  const runs: Array<Measured> = []
  try {
    for (let rep = 0; rep < options.reps; rep++) {
      for (const client of rotate<ClientKind>(["ours-undici", "reference"], rep)) {
        const job = batchJob(context, client, { pipeline: "instant", n: options.n })
        const measured = await measure(context, job, {
          timeoutMs: 900_000,
          beforeGo: () => context.emulator.setFaults({ rateLimitPerMinute: options.limit })
        })
        await context.emulator.setFaults({})
        context.log(
          `  ${options.label} run ${rep + 1} ${client}: ${
            (measured.result.wallMs / 1000).toFixed(1)
          } s, ${measured.emulator.totalCalls} calls, ${measured.emulator.responses["429"] ?? 0} x 429`
        )
        runs.push(measured)
      }
    }
  } finally {
    await context.emulator.setFaults({})
  }
  return runs
}

export const rateLimitRows = (
  scenario: string,
  runs: ReadonlyArray<Measured>,
  options: { readonly n: number; readonly limit: number }
) => {
  const figure = (f: (run: Measured) => number) => ({
    ours: summarize(runs.filter((run) => run.client === "ours-undici").map(f)),
    reference: summarize(runs.filter((run) => run.client === "reference").map(f))
  })
  const least = (run: Measured) => boundSeconds(run.emulator.totalCalls, options.limit)
  const fewestCalls = Math.min(...runs.map((run) => run.emulator.totalCalls))
  const binding = fewestCalls > options.limit
  const note = binding
    ? undefined
    : `a run made only ${fewestCalls} calls, no more than the ${options.limit} that the emulator's fixed 60 s ` +
      "window allows: the limit was never reached, so there is no least wall time to compare with"
  return [
    makeRow({
      scenario,
      figure: `429s received, ${options.n.toLocaleString("en-US")} inputs, limit ${options.limit}/min`,
      unit: "",
      ...figure((run) => run.emulator.responses["429"] ?? 0),
      ratio: false,
      target: "0 to a handful (<= 5)",
      check: (ours) => ours <= 5,
      note
    }),
    // a job the limit does not bind has no least wall time to compare with (the note of the first row says so)
    ...(binding
      ? [makeRow({
        scenario,
        figure: againstBound,
        unit: "",
        ...figure((run) => run.result.wallMs / 1000 / least(run)),
        ratio: false,
        target: "<= 1.15",
        check: (ours) => ours <= 1.15
      })]
      : []),
    makeRow({
      scenario,
      figure: "HTTP calls made",
      unit: "",
      ...figure((run) => run.emulator.totalCalls),
      ratio: true,
      target: "reported",
      check: undefined
    }),
    makeRow({
      scenario,
      figure: "wall time",
      unit: "s",
      ...figure((run) => run.result.wallMs / 1000),
      ratio: true,
      target: "reported",
      check: undefined
    })
  ]
}

export const scenario: Scenario = {
  id: "8",
  title: "rate limit",
  run: async (context) => {
    const options = { n: context.sizes.rateLimited, limit: context.sizes.rateLimitPerMinute }
    const runs = await rateLimitRuns(context, { ...options, reps: context.sizes.rateLimitedReps, label: "" })
    const rows = rateLimitRows("8", runs, options)
    if (context.mode !== "full") return rows
    // with --full, also the job at UbiOps' real limit (60,000 inputs, about 480 calls at 300 a minute: a burst, a
    // wait for the window to reset, the rest; about a minute per run)
    const binding = { n: 60_000, limit: 300 }
    const bindingRuns = await rateLimitRuns(context, { ...binding, reps: context.sizes.rateLimitedReps, label: "real" })
    return [...rows, ...rateLimitRows("8", bindingRuns, binding)]
  }
}
