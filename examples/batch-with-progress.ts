/**
 * A batch run: 2,000 inputs submitted in chunks of 250, results streamed as they finish, a progress bar on
 * standard error (a line a second when it is not a terminal).
 *
 *   npx tsx examples/batch-with-progress.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import { Batch, Progress } from "@ubiops-effect/stream"
import { Console, Effect, Stream } from "effect"
import { PipelineRequestsLive, project } from "./connection.js"

const echo = { project, pipeline: "echo" }

// Any Iterable, AsyncIterable or Stream: inputs are pulled as the run needs them.
function* inputs() {
  for (let n = 0; n < 2_000; n++) yield { n }
}

const program = Effect.gen(function*() {
  const progress = yield* Progress.make({ total: 2_000 })
  const bar = yield* Effect.fork(Progress.render(progress, { lineEvery: 1_000 }))

  const counts = yield* Batch.run(echo, inputs(), { progress }).pipe(
    Stream.runFold({ completed: 0, failed: 0, cancelled: 0, gone: 0, unconfirmed: 0 }, (counts, result) => ({
      ...counts,
      [result.status]: counts[result.status] + 1
    }))
  )
  yield* bar.await
  yield* Console.log(
    `completed ${counts.completed}, failed ${counts.failed}, cancelled ${counts.cancelled}, gone ${counts.gone}, ` +
      `unconfirmed ${counts.unconfirmed}`
  )
})

program.pipe(Effect.provide(PipelineRequestsLive()), NodeRuntime.runMain)
