import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"

/** Lets real I/O started by the fiber (a `Response` body read, say) settle. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Moves the test clock forward until `fiber` is done or `limit` has passed, jumping from one scheduled sleep
 * to the next instead of stepping: a run of minutes of backoff costs a few iterations. `onStep` runs after each
 * move (to record what the fiber did at that time).
 */
export const advanceUntilDone = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  limit: Duration.DurationInput,
  onStep: Effect.Effect<void> = Effect.void
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const end = (yield* TestClock.currentTimeMillis) + Duration.toMillis(limit)
    let idle = 0
    while (fiber.unsafePoll() === null) {
      yield* settle
      yield* onStep
      if (fiber.unsafePoll() !== null) break
      const now = yield* TestClock.currentTimeMillis
      if (now >= end) break
      const sleeps = yield* TestClock.sleeps()
      let next = Number.POSITIVE_INFINITY
      for (const time of sleeps) if (time > now && time < next) next = time
      if (next === Number.POSITIVE_INFINITY) {
        // Nothing scheduled: the fiber waits on I/O, or on a sleep already due; give it a few turns first.
        if (++idle < 20) continue
        next = end
      }
      idle = 0
      yield* TestClock.setTime(Math.min(next, end))
    }
    yield* onStep
  })
