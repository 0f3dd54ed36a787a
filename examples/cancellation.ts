/**
 * Stopping a batch run early cancels on the server what it had not finished: here the run is cut after its
 * first 8 results with `Stream.take`; Ctrl-C, a timeout or an error elsewhere do the same.
 *
 *   npx tsx examples/cancellation.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import { Batch } from "@ubiops-effect/stream"
import { Console, Effect, Stream } from "effect"
import { PipelineRequestsLive, project } from "./connection.js"

// 200 requests of half a second on a pipeline with 4 workers: 25 seconds if left to run
const sleep = { project, pipeline: "sleep" }
const inputs = Array.from({ length: 200 }, () => ({ seconds: 0.5 }))

const program = Batch.run(sleep, inputs, {
  onInterrupted: (report) =>
    Console.log(
      `stopped with ${report.outstanding} requests outstanding: ${report.cancelled} cancelled on the server, ` +
        `${report.alreadyFinished} already finished, ${report.failedToCancel} not cancelled`
    )
}).pipe(
  Stream.take(8),
  Stream.runCount,
  Effect.flatMap((taken) => Console.log(`took the first ${taken} results`))
)

program.pipe(Effect.provide(PipelineRequestsLive()), NodeRuntime.runMain)
