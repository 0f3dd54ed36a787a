/**
 * The runs of scenarios 1, 2 and 6, made once: 50,000 inputs on the instant pipeline, our client over undici,
 * the reference, and our client over fetch, in rotating order, `reps` times.
 */
import { batchJob, type Context, measure, type Measured, rotate } from "../lib/context.js"
import type { ClientKind } from "../lib/jobs.js"

export const instantRuns = (context: Context): Promise<ReadonlyArray<Measured>> =>
  context.memo("instant", async () => {
    const runs: Array<Measured> = []
    const clients: ReadonlyArray<ClientKind> = ["ours-undici", "reference", "ours-fetch"]
    for (let rep = 0; rep < context.sizes.reps; rep++) {
      for (const client of rotate(clients, rep)) {
        const job = batchJob(context, client, {
          pipeline: "instant",
          n: context.sizes.throughput,
          warmup: context.sizes.warmup
        })
        const measured = await measure(context, job)
        context.log(
          `  run ${rep + 1} ${client}: ${Math.round(measured.result.wallMs)} ms, ` +
            `${
              ((measured.result.cpuUserUs + measured.result.cpuSystemUs) / measured.result.count).toFixed(1)
            } µs CPU ` +
            `per result, ${measured.emulator.totalCalls} calls`
        )
        runs.push(measured)
      }
    }
    return runs
  })

export const of = (runs: ReadonlyArray<Measured>, client: ClientKind): Array<Measured> =>
  runs.filter((run) => run.client === client)
