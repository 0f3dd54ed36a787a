/**
 * Pipelines composed as effects: the output of one feeds the next, typed from end to end, with concurrency and
 * error handling from Effect.
 *
 * The demo project's pipelines stand in for real ones: `echo` plays a preprocessing step that returns its input,
 * `sleep` a model that takes `{"seconds": n}`.
 *
 *   npx tsx examples/compose-pipelines.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import { Pipeline } from "@ubiops-effect/core"
import { Console, Effect, Schema } from "effect"
import { PipelineRequestsLive, project } from "./connection.js"

const Prepare = Pipeline.make({
  project,
  pipeline: "echo",
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ text: Schema.String })
})

const Wait = Pipeline.make({
  project,
  pipeline: "sleep",
  input: Schema.Struct({ seconds: Schema.Number }),
  output: Schema.Struct({ seconds: Schema.Number })
})

/** Both pipelines, one after the other: a word costs 10 ms. */
const handle = (text: string) =>
  Effect.gen(function*() {
    const prepared = yield* Prepare.request({ text })
    const words = prepared.text.split(" ").length
    const waited = yield* Wait.request({ seconds: words / 100 })
    return `"${text}": ${words} words, waited ${waited.seconds} s`
  })

const program = Effect.gen(function*() {
  const texts = ["the quick brown fox", "jumps over", "the lazy dog", "and runs away"]
  // four texts through both pipelines, two at a time
  const lines = yield* Effect.forEach(texts, handle, { concurrency: 2 })
  for (const line of lines) yield* Console.log(line)
})

program.pipe(Effect.provide(PipelineRequestsLive()), NodeRuntime.runMain)
