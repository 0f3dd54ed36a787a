import { it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock, type TestServices } from "effect"

/** Runs `effect` on the TestClock, moving time on by `step` until it is done (at most `limit` of test time). */
export const onTestClock = <A, E, R>(effect: Effect.Effect<A, E, R>, step = 50, limit = 600_000) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let elapsed = 0; elapsed <= limit; elapsed += step) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return yield* exit.value
      yield* TestClock.adjust(step)
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`not done after ${limit} ms of test time`)
  })

/** `it.effect` whose test runs on the TestClock with `onTestClock`: simulated time, no real waiting. */
export const itOnTestClock = <A, E>(
  name: string,
  self: () => Effect.Effect<A, E, TestServices.TestServices>,
  timeout?: number
) => it.effect(name, () => onTestClock(self()), timeout)
