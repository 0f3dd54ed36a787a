// The three checks every runtime runs against the emulator, written as a user of the installed packages would:
// a direct request through a typed `Pipeline.make` handle, a `Batch.run` of a few hundred inputs, and typed errors.
// Shared by app.mjs (Node, Bun, Deno) and browser.mjs (Chromium); `httpLayer` is the HttpClient layer to use.
import { Pipeline, PipelineRequests, UbiOpsError } from "@ubiops-effect/core"
import { Batch } from "@ubiops-effect/stream"
import { Effect, Either, Layer, Redacted, Schema, Stream } from "effect"

const Echo = Pipeline.make({
  project: "demo",
  pipeline: "echo",
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ text: Schema.String })
})

const check = (name, effect, httpLayer, host, token) =>
  effect.pipe(
    Effect.provide(PipelineRequests.layer({ token: Redacted.make(token), host }).pipe(Layer.provide(httpLayer))),
    Effect.timeout("30 seconds"),
    Effect.match({
      onFailure: (error) => ({
        name,
        ok: false,
        detail: `${error?._tag ?? "error"}: ${error?.message ?? String(error)}`
      }),
      onSuccess: (detail) => ({ name, ok: true, detail })
    }),
    Effect.catchAllDefect((defect) =>
      Effect.succeed({ name, ok: false, detail: `defect: ${defect?.stack ?? String(defect)}` })
    )
  )

const direct = Effect.gen(function*() {
  const output = yield* Echo.request({ text: "hello from the smoke test" })
  if (output.text !== "hello from the smoke test") return yield* Effect.die(`echo returned ${JSON.stringify(output)}`)
  return "echo answered"
})

const batch = (count) =>
  Effect.gen(function*() {
    const inputs = Array.from({ length: count }, (_, n) => ({ text: `input ${n}` }))
    const results = Array.from(yield* Stream.runCollect(Batch.run(Echo, inputs)))
    const seen = new Array(count).fill(0)
    for (const result of results) {
      if (result.status !== "completed") return yield* Effect.die(`input ${result.index}: ${result.status}`)
      if (result.output.text !== `input ${result.index}`) {
        return yield* Effect.die(`input ${result.index} came back as ${JSON.stringify(result.output)}`)
      }
      seen[result.index] += 1
    }
    const wrong = seen.flatMap((times, index) => (times === 1 ? [] : [`${index}: ${times} times`]))
    if (results.length !== count || wrong.length > 0) {
      return yield* Effect.die(`${results.length} results for ${count} inputs; ${wrong.slice(0, 5).join(", ")}`)
    }
    return `${count} inputs, each result exactly once`
  })

// A wrong token is Unauthorized (caught by its tag); an unknown pipeline is NotFound (seen through Either).
const unauthorized = Echo.request({ text: "x" }).pipe(
  Effect.as("no error"),
  Effect.catchTag(
    "Unauthorized",
    (error) =>
      Effect.succeed(error instanceof UbiOpsError.Unauthorized ? "Unauthorized" : "Unauthorized (not instanceof)")
  )
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
  if (either.left._tag !== "NotFound") return yield* Effect.die(`expected NotFound, got ${either.left._tag}`)
  return "NotFound"
})

export const runChecks = ({ httpLayer, host, token, count = 300 }) =>
  Effect.runPromise(
    Effect.all([
      check("direct", direct, httpLayer, host, token),
      check(`batch ${count}`, batch(count), httpLayer, host, token),
      Effect.zipWith(
        check("typed error", unauthorized, httpLayer, host, `wrong-${token}`),
        check("typed error", notFound, httpLayer, host, token),
        (a, b) =>
          !a.ok ? a : !b.ok ?
            b :
            a.detail !== "Unauthorized"
            ? { name: "typed error", ok: false, detail: `wrong token: ${a.detail}` }
            : { name: "typed error", ok: true, detail: "wrong token: Unauthorized, unknown pipeline: NotFound" }
      )
    ])
  )

export const report = (results, write) => {
  for (const result of results) write(`SMOKE ${JSON.stringify(result)}`)
}
