// A typed user app, compiled by the user's own strict tsconfig (tsconfig.nodenext.json: emitted and run on Node;
// tsconfig.bundler.json and tsconfig.exact.json: type-checked only). Only the packages' .d.ts are seen.
import { NodeHttpClient } from "@effect/platform-node"
import { Pipeline, PipelineRequests } from "@ubiops-effect/core"
import type { Models, UbiOpsError } from "@ubiops-effect/core"
import { Batch } from "@ubiops-effect/stream"
import type { ConfigError } from "effect"
import { Effect, Either, Layer, Redacted, Schema, Stream } from "effect"

interface Outcome {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

const host: string | undefined = process.env["UBIOPS_API_HOST"]
const token: string = process.env["UBIOPS_API_TOKEN"] ?? ""
const count = Number(process.env["SMOKE_COUNT"] ?? 300)

const Echo: Pipeline.Pipeline<{ readonly text: string }, { readonly text: string }> = Pipeline.make({
  project: "demo",
  pipeline: "echo",
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ text: Schema.String })
})

// The README's way: the token and the host from UBIOPS_API_TOKEN and UBIOPS_API_HOST.
const fromEnv: Layer.Layer<PipelineRequests.PipelineRequests, ConfigError.ConfigError> = PipelineRequests
  .layerConfig()
  .pipe(Layer.provide(NodeHttpClient.layerUndici))

const client = (withToken: string): Layer.Layer<PipelineRequests.PipelineRequests> =>
  PipelineRequests.layer({ token: Redacted.make(withToken), host }).pipe(Layer.provide(NodeHttpClient.layerUndici))

const check = <E>(name: string, effect: Effect.Effect<string, E, PipelineRequests.PipelineRequests>) =>
  effect.pipe(
    Effect.provide(fromEnv),
    Effect.timeout("30 seconds"),
    Effect.match({
      onFailure: (error): Outcome => ({ name, ok: false, detail: String(error) }),
      onSuccess: (detail): Outcome => ({ name, ok: true, detail })
    }),
    Effect.catchAllDefect((defect) => Effect.succeed<Outcome>({ name, ok: false, detail: `defect: ${String(defect)}` }))
  )

const direct = Effect.gen(function*() {
  const output: { readonly text: string } = yield* Echo.request({ text: "hello from tsc" })
  if (output.text !== "hello from tsc") return yield* Effect.die(`echo returned ${JSON.stringify(output)}`)
  return "echo answered"
})

const batch = Effect.gen(function*() {
  const inputs = Array.from({ length: count }, (_, n) => ({ text: `input ${n}` }))
  const results: ReadonlyArray<Batch.Result<{ readonly text: string }, { readonly text: string }>> = Array.from(
    yield* Stream.runCollect(Batch.run(Echo, inputs))
  )
  const seen: Array<number> = new Array<number>(count).fill(0)
  for (const result of results) {
    if (result.status !== "completed") return yield* Effect.die(`input ${result.index}: ${result.status}`)
    if (result.output.text !== result.input.text) return yield* Effect.die(`input ${result.index} came back wrong`)
    seen[result.index] = (seen[result.index] ?? 0) + 1 // noUncheckedIndexedAccess: number | undefined
  }
  if (results.length !== count || seen.some((times) => times !== 1)) {
    return yield* Effect.die(`${results.length} results for ${count} inputs, not each exactly once`)
  }
  const head = results[0]
  // a result that reached the server carries its request (Gone and Unconfirmed ones may not)
  const first: Models.PipelineRequestDetail | undefined = head?.status === "completed" ? head.detail : undefined
  return `${count} inputs, each result exactly once (first: ${first?.status ?? "none"})`
})

const unauthorized: Effect.Effect<
  string,
  Exclude<Pipeline.PipelineError, UbiOpsError.Unauthorized>,
  PipelineRequests.PipelineRequests
> = Echo.request({ text: "x" }).pipe(
  Effect.as("no error"),
  Effect.catchTag("Unauthorized", (error: UbiOpsError.Unauthorized) => Effect.succeed(`Unauthorized ${error.status}`))
)

const notFound = Effect.gen(function*() {
  const Missing = Pipeline.make({
    ...Echo.target,
    pipeline: "no-such-pipeline",
    input: Schema.Struct({ text: Schema.String }),
    output: Schema.Unknown
  })
  const either = yield* Effect.either(Missing.request({ text: "x" }))
  if (Either.isRight(either)) return yield* Effect.die("an unknown pipeline answered")
  const error: Pipeline.PipelineError = either.left
  if (error._tag !== "NotFound") return yield* Effect.die(`expected NotFound, got ${error._tag}`)
  return "NotFound"
})

const typedError = Effect.gen(function*() {
  const wrongToken = yield* unauthorized.pipe(Effect.provide(client(`wrong-${token}`)))
  if (!wrongToken.startsWith("Unauthorized")) return yield* Effect.die(`wrong token: ${wrongToken}`)
  const missing = yield* notFound
  return `wrong token: ${wrongToken}, unknown pipeline: ${missing}`
})

const outcomes = await Effect.runPromise(
  Effect.all([check("direct", direct), check(`batch ${count}`, batch), check("typed error", typedError)])
)
for (const outcome of outcomes) console.log(`SMOKE ${JSON.stringify(outcome)}`)
