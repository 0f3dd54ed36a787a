/**
 * Scenario 3: a pipeline taking 2 s per request on 20 workers. Polls per result and completion-to-emission latency
 * (the server's `time_completed` to the moment the result reaches the consumer, same machine and clock).
 *
 * The size (10,000 inputs = 1,000 s of server time per client) does not fit the 5-minute budget, and the
 * clients mostly wait here, so every run of both clients goes at once, each on its own copy of the pipeline (20
 * workers each): `reps` runs x 2 clients. The emulator's stats count the calls of all of them together; each client
 * counts its own calls (ours through a `transformClient` hook), and the sum is checked against the stats.
 */
import { batchJob, type Measured, measureTogether } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import type { BatchJob } from "../lib/jobs.js"
import type { Scenario } from "./scenario.js"

export const scenario: Scenario = {
  id: "3",
  title: "slow pipeline: polls and latency",
  run: async (context) => {
    const n = context.sizes.slow
    const jobs: Array<BatchJob> = []
    for (let rep = 0; rep < context.sizes.reps; rep++) {
      for (const client of ["ours-undici", "reference"] as const) {
        jobs.push(batchJob(context, client, {
          pipeline: `slow-${client === "reference" ? "reference" : "ours"}-${rep + 1}`,
          n,
          latency: true,
          countCalls: true
        }))
      }
    }
    // 20 workers, 2 s each: n / 10 seconds, plus the first poll's backoff
    const expectedMs = (n / 20) * (context.mode === "smoke" ? 200 : 2000)
    context.log(`  ${jobs.length} runs at once, ${n} inputs each, about ${Math.round(expectedMs / 1000)} s`)
    const { emulator, results } = await measureTogether(context, jobs, expectedMs * 2 + 60_000)
    const counted = results.reduce((sum, run) => sum + (run.result.clientCalls ?? 0), 0)
    const verified = counted === emulator.totalCalls
    if (!verified) context.log(`  clients counted ${counted} calls, the emulator ${emulator.totalCalls}`)
    const byClient = (client: "ours-undici" | "reference") => results.filter((run) => run.client === client)
    const figure = (f: (run: Measured) => number) => ({
      ours: summarize(byClient("ours-undici").map(f)),
      reference: summarize(byClient("reference").map(f))
    })
    const step = context.mode === "smoke" ? "0.2 s" : "2 s"
    const size = `${n.toLocaleString("en-US")} inputs`
    const waves = n / 20
    const polls = (client: "ours-undici" | "reference") =>
      byClient(client).map((run) => run.result.clientPolls!).join("/")
    const check =
      `the clients' counts add up to the emulator's (${emulator.totalCalls} calls): ${
        verified ? "yes" : "NO"
      }. Results finish in waves of 20 every 2 s, so a p95 under 1 s needs a poll per wave: ${waves} polls ` +
      `(0.05 per result) at the least; polls made: ours ${polls("ours-undici")}, reference ${polls("reference")}`
    return [
      makeRow({
        scenario: "3",
        figure: `polls (collect calls) per result, ${size}, ${step} x 20 workers`,
        unit: "",
        ...figure((run) => run.result.clientPolls! / run.result.count),
        ratio: true,
        target: "<= 0.05",
        check: (ours) => ours <= 0.05,
        note: check
      }),
      makeRow({
        scenario: "3",
        figure: "HTTP calls per result (creates included)",
        unit: "",
        ...figure((run) => run.result.clientCalls! / run.result.count),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "3",
        figure: "completion-to-emission latency p50",
        unit: "ms",
        ...figure((run) => run.result.latency!.p50),
        ratio: true,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "3",
        figure: "completion-to-emission latency p95",
        unit: "ms",
        ...figure((run) => run.result.latency!.p95),
        ratio: true,
        target: "<= 1000 ms",
        check: (ours) => ours <= 1000
      }),
      makeRow({
        scenario: "3",
        figure: "wall time",
        unit: "s",
        ...figure((run) => run.result.wallMs / 1000),
        ratio: true,
        target: "reported",
        check: undefined
      })
    ]
  }
}
