/**
 * Scenario 7: the emulator alone. The reference client drives it as hard as it goes (8 creates and 8 collects in
 * flight, a window of 8,000, no poll waits), so results/s is the emulator's capacity on this machine with a client
 * sharing its cores. Beside it, the emulator's CPU time per result and its CPU use during scenario 1's runs: if the
 * emulator were the bottleneck of scenario 1, it would be busy close to 100% of a core there.
 */
import { batchJob, measure, type Measured, perSecond } from "../lib/context.js"
import { makeRow, summarize } from "../lib/figures.js"
import { instantRuns, of } from "./instantRuns.js"
import type { Scenario } from "./scenario.js"

const busy = (run: Measured) => (100 * run.emulator.emulatorCpuMs) / run.emulator.wallMs
const emulatorCpuPerResult = (run: Measured) => (1000 * run.emulator.emulatorCpuMs) / run.result.count

export const scenario: Scenario = {
  id: "7",
  title: "the emulator alone",
  run: async (context) => {
    const instant = await instantRuns(context)
    const runs: Array<Measured> = []
    for (let rep = 0; rep < context.sizes.reps; rep++) {
      const job = batchJob(context, "reference", {
        pipeline: "instant",
        n: context.sizes.throughput,
        warmup: context.sizes.warmup,
        concurrency: 8,
        pollConcurrency: 8,
        window: 8000,
        eager: true
      })
      const measured = await measure(context, job)
      context.log(
        `  run ${rep + 1} reference, eager: ${Math.round(measured.result.wallMs)} ms, emulator busy ${
          busy(measured).toFixed(0)
        }%`
      )
      runs.push(measured)
    }
    const ours = of(instant, "ours-undici")
    const reference = of(instant, "reference")
    return [
      makeRow({
        scenario: "7",
        figure: "emulator capacity: results/s, reference, 8+8 calls in flight, no poll waits",
        unit: "1/s",
        ours: undefined,
        reference: summarize(runs.map((run) => perSecond(run.result))),
        ratio: false,
        target: "reported",
        check: undefined,
        note: `emulator busy ${summarize(runs.map(busy)).median.toFixed(0)}% of one core during these runs`
      }),
      makeRow({
        scenario: "7",
        figure: "emulator busy during scenario 1 (100% = one core)",
        unit: "%",
        ours: summarize(ours.map(busy)),
        reference: summarize(reference.map(busy)),
        ratio: false,
        target: "reported",
        check: undefined
      }),
      makeRow({
        scenario: "7",
        figure: "emulator CPU per result during scenario 1",
        unit: "µs",
        ours: summarize(ours.map(emulatorCpuPerResult)),
        reference: summarize(reference.map(emulatorCpuPerResult)),
        ratio: true,
        target: "reported",
        check: undefined
      })
    ]
  }
}
