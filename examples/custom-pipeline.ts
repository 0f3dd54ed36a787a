/**
 * Your own pipelines on the emulator, from a JSON file (`custom-pipeline.json`: a project `shop` with the
 * pipelines `price` and `reserve`). The same file starts a standalone emulator:
 * `pnpm emulator --config examples/custom-pipeline.json`.
 *
 *   npx tsx examples/custom-pipeline.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import { Pipeline } from "@ubiops-effect/core"
import { ConfigFile } from "@ubiops-effect/emulator"
import { Console, Effect, Layer, Schema } from "effect"
import { fileURLToPath } from "node:url"
import { PipelineRequestsLive, usingEmulator } from "./connection.js"

const config = fileURLToPath(new URL("custom-pipeline.json", import.meta.url))

const Price = Pipeline.make({
  project: "shop",
  pipeline: "price",
  input: Schema.Struct({ sku: Schema.String }),
  output: Schema.Struct({ price: Schema.Number, currency: Schema.String })
})

const Reserve = Pipeline.make({
  project: "shop",
  pipeline: "reserve",
  input: Schema.Struct({ sku: Schema.String, quantity: Schema.Number }),
  output: Schema.Struct({ sku: Schema.String, quantity: Schema.Number })
})

const program = Effect.gen(function*() {
  const quote = yield* Price.request({ sku: "tea-42" })
  yield* Console.log(`price of tea-42: ${quote.price} ${quote.currency}`)

  const reserved = yield* Effect.either(Reserve.request({ sku: "tea-42", quantity: 2 }))
  if (reserved._tag === "Left" && reserved.left._tag === "PipelineRequestFailed") {
    const failed = reserved.left
    yield* Console.log(`reserve failed in "${failed.failedSubRequest?.pipelineObject}": ${failed.errorMessage}`)
  }
})

// Against the emulator, its projects come from the file; against UbiOps, create the project `shop` there.
const Live = usingEmulator
  ? Layer.unwrapEffect(Effect.map(ConfigFile.load(config), (projects) => PipelineRequestsLive({ projects })))
  : PipelineRequestsLive()

program.pipe(Effect.provide(Live), NodeRuntime.runMain)
