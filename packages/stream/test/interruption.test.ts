import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit } from "effect"
import { runBounded } from "../src/internal/interruption.js"

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
