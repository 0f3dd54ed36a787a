import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { traced } from "../src/internal/tracing.js"

const inSpan = traced("pipelineRequestsGet", "client", { "ubiops.project": "demo" })(
  Effect.map(
    Effect.option(Effect.currentSpan),
    Option.map((span) => ({ name: span.name, attributes: span.attributes }))
  )
)

describe("traced", () => {
  it.effect("makes no span while Effect's default tracer is in place (nobody would see it)", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* inSpan))
    }))

  it.effect("makes the client span, with its attributes, for a tracer the application installed", () =>
    Effect.gen(function*() {
      const names: Array<string> = []
      const native = yield* Effect.tracer
      const recording = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          names.push(`${kind} ${name}`)
          return native.span(name, parent, context, links, startTime, kind, options)
        },
        context: (f) => f()
      })
      const seen = yield* Effect.withTracer(inSpan, recording)
      assert.deepStrictEqual(names, ["client pipelineRequestsGet"])
      assert.isTrue(Option.isSome(seen))
      if (Option.isSome(seen)) {
        assert.strictEqual(seen.value.name, "pipelineRequestsGet")
        assert.strictEqual(seen.value.attributes.get("ubiops.project"), "demo")
      }
    }))
})
