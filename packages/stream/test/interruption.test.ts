import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber } from "effect"
import { finishOnInterrupt, runBounded } from "../src/internal/interruption.js"

describe("finishOnInterrupt", () => {
  it.live("lets the effect finish after an interruption and runs the follow-up on its value", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* finishOnInterrupt(
        Effect.as(Effect.sleep("150 millis"), 42),
        "2 seconds",
        (n) => Effect.sync(() => log.push(`registered ${n}`)),
        () => Effect.sync(() => log.push("given up"))
      ).pipe(Effect.fork)
      yield* Effect.sleep("30 millis")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(log, ["registered 42"])
    }))

  it.live("gives the effect up after the grace period", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* finishOnInterrupt(
        Effect.as(Effect.sleep("10 seconds"), 42),
        "100 millis",
        (n) => Effect.sync(() => log.push(`registered ${n}`)),
        (exit) => Effect.sync(() => log.push(`given up, interrupted: ${Exit.isInterrupted(exit)}`))
      ).pipe(Effect.fork)
      yield* Effect.sleep("30 millis")
      const start = yield* Clock.currentTimeMillis
      yield* Fiber.interrupt(fiber)
      assert.isBelow((yield* Clock.currentTimeMillis) - start, 1_000)
      assert.deepStrictEqual(log, ["given up, interrupted: true"])
    }))

  it.live("without interruption, is the effect followed by the follow-up", () =>
    Effect.gen(function*() {
      const value = yield* finishOnInterrupt(Effect.succeed(1), "1 second", (n) =>
        Effect.succeed(n + 1), () =>
        Effect.void)
      assert.strictEqual(value, 2)
      const failed = yield* Effect.exit(
        finishOnInterrupt(Effect.fail("no"), "1 second", (n: number) =>
          Effect.succeed(n + 1), () =>
          Effect.void)
      )
      assert.deepStrictEqual(failed, Exit.fail("no"))
    }))
})

describe("runBounded", () => {
  it.live("bounds work even in an uninterruptible region", () =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const result = yield* Effect.uninterruptible(runBounded(Effect.never, "100 millis"))
      assert.isUndefined(result)
      assert.isBelow((yield* Clock.currentTimeMillis) - start, 1_000)
      const done = yield* Effect.uninterruptible(runBounded(Effect.succeed(3), "100 millis"))
      assert.deepStrictEqual(done, Exit.succeed(3))
    }))
})
