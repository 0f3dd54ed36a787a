// Node (CommonJS): the same checks with `require`, over NodeHttpClient.layerUndici (the fast one on Node).
"use strict"
const { NodeHttpClient } = require("@effect/platform-node")
const { Pipeline, PipelineRequests, UbiOpsError } = require("@ubiops-effect/core")
const { Batch } = require("@ubiops-effect/stream")
const { Effect, Either, Layer, Redacted, Schema, Stream } = require("effect")

const host = process.env.UBIOPS_API_HOST
const token = process.env.UBIOPS_API_TOKEN
const count = Number(process.env.SMOKE_COUNT ?? 300)

const Echo = Pipeline.make({
  project: "demo",
  pipeline: "echo",
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ text: Schema.String })
})

const check = (name, effect, withToken = token) =>
  effect.pipe(
    Effect.provide(
      PipelineRequests.layer({ token: Redacted.make(withToken), host }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    ),
    Effect.timeout("30 seconds"),
    Effect.match({
      onFailure: (error) => ({ name, ok: false, detail: `${error?._tag ?? "error"}: ${error?.message ?? String(error)}` }),
      onSuccess: (detail) => ({ name, ok: true, detail })
    }),
    Effect.catchAllDefect((defect) => Effect.succeed({ name, ok: false, detail: `defect: ${defect?.stack ?? defect}` }))
  )

const direct = Effect.gen(function*() {
  const output = yield* Echo.request({ text: "hello from require" })
  if (output.text !== "hello from require") return yield* Effect.die(`echo returned ${JSON.stringify(output)}`)
  return "echo answered"
})

const batch = Effect.gen(function*() {
  const inputs = Array.from({ length: count }, (_, n) => ({ text: `input ${n}` }))
  // The untyped form: a plain target, the raw `result` as output.
  const results = Array.from(yield* Stream.runCollect(Batch.run({ project: "demo", pipeline: "echo" }, inputs)))
  const seen = new Map()
  for (const result of results) {
    if (result.status !== "completed" || result.output.text !== `input ${result.index}`) {
      return yield* Effect.die(`input ${result.index}: ${result.status} ${JSON.stringify(result.output)}`)
    }
    seen.set(result.index, (seen.get(result.index) ?? 0) + 1)
  }
  const once = [...seen.values()].every((times) => times === 1)
  if (results.length !== count || seen.size !== count || !once) {
    return yield* Effect.die(`${results.length} results, ${seen.size} distinct, for ${count} inputs`)
  }
  return `${count} inputs, each result exactly once`
})

const typedError = Effect.gen(function*() {
  const unauthorized = yield* Echo.request({ text: "x" }).pipe(
    Effect.provide(
      PipelineRequests.layer({ token: Redacted.make(`wrong-${token}`), host }).pipe(
        Layer.provide(NodeHttpClient.layerUndici)
      )
    ),
    Effect.as("no error"),
    Effect.catchTag("Unauthorized", (error) =>
      Effect.succeed(error instanceof UbiOpsError.Unauthorized ? "Unauthorized" : "Unauthorized (not instanceof)"))
  )
  if (unauthorized !== "Unauthorized") return yield* Effect.die(`wrong token: ${unauthorized}`)
  const Missing = Pipeline.make({ ...Echo.target, pipeline: "no-such-pipeline", input: Schema.Struct({ text: Schema.String }), output: Schema.Unknown })
  const either = yield* Effect.either(Missing.request({ text: "x" }))
  if (Either.isRight(either) || either.left._tag !== "NotFound") {
    return yield* Effect.die(`unknown pipeline: ${Either.isRight(either) ? "answered" : either.left._tag}`)
  }
  return "wrong token: Unauthorized, unknown pipeline: NotFound"
})

Effect.runPromise(Effect.all([check("direct", direct), check(`batch ${count}`, batch), check("typed error", typedError)]))
  .then((results) => {
    for (const result of results) console.log(`SMOKE ${JSON.stringify(result)}`)
  })
