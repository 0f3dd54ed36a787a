/**
 * One typed request: `Pipeline.make` gives a handle whose `request` encodes the input with its schema, runs a
 * direct (synchronous) request, and decodes the output with its schema. A failed run is a typed error.
 *
 *   npx tsx examples/direct-request.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import { Pipeline } from "@ubiops-effect/core"
import { Console, Effect, Schema } from "effect"
import { PipelineRequestsLive, project } from "./connection.js"

const Echo = Pipeline.make({
  project,
  pipeline: "echo",
  input: Schema.Struct({ text: Schema.String, times: Schema.Number }),
  output: Schema.Struct({ text: Schema.String, times: Schema.Number })
})

const Sleep = Pipeline.make({
  project,
  pipeline: "sleep",
  input: Schema.Struct({ seconds: Schema.Number }),
  output: Schema.Struct({ seconds: Schema.Number })
})

const program = Effect.gen(function*() {
  // Effect<{ readonly text: string; readonly times: number }, PipelineError, PipelineRequests>
  const echoed = yield* Echo.request({ text: "hello", times: 3 })
  yield* Console.log(`echo answered: ${echoed.text} x ${echoed.times}`)

  // The sleep pipeline refuses a negative duration: the run fails, and the error says why.
  yield* Sleep.request({ seconds: -1 }).pipe(
    Effect.catchTag("PipelineRequestFailed", (failed) => Console.log(`sleep failed: ${failed.errorMessage}`))
  )
})

program.pipe(Effect.provide(PipelineRequestsLive()), NodeRuntime.runMain)
