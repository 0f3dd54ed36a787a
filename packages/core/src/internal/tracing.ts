/**
 * Spans for the application's tracer. With Effect's default tracer (in place while the application installs none)
 * a span is kept nowhere, and making one costs a call about 35 runtime steps (7.5 µs, `bench/micro/constructs.ts`):
 * then there is none.
 */
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"

const defaultTracer = Effect.runSync(Effect.tracer)

export const traced =
  (name: string, kind: Tracer.SpanKind, attributes: Record<string, string>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tracerWith((tracer) =>
      tracer === defaultTracer ? effect : Effect.withSpan(effect, name, { kind, captureStackTrace: false, attributes })
    )
