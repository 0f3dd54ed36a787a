import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, SubscriptionRef, TestClock } from "effect"
import * as Progress from "../src/Progress.js"

const running: Progress.Snapshot = {
  ...Progress.initial,
  phase: "running",
  total: 1_000,
  submitted: 750,
  pending: 200,
  processing: 50,
  completed: 480,
  failed: 20,
  emitted: 500,
  resultsPerSecond: 100,
  elapsedMillis: 5_000
}

const fakeOutput = (isTTY: boolean) => {
  const writes: Array<string> = []
  return { output: { isTTY, columns: 200, write: (text: string) => writes.push(text) }, writes }
}

describe("Progress", () => {
  it("formats a line with a bar, counts, rate, elapsed time and ETA", () => {
    assert.strictEqual(
      Progress.formatLine(running, 10),
      "[#####.....] 500/1,000 50% | submitted 750 | pending 200 | processing 50 | completed 480 failed 20 cancelled 0 | 100/s 00:05 ETA 00:05"
    )
    assert.strictEqual(
      Progress.formatLine({ ...running, total: undefined, phase: "completed" }),
      "500 done | submitted 750 | pending 200 | processing 50 | completed 480 failed 20 cancelled 0 | 100/s 00:05 | completed"
    )
  })

  it.effect("redraws in place on a terminal until the run is over", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make()
      const { output, writes } = fakeOutput(true)
      yield* SubscriptionRef.set(progress, running)
      const fiber = yield* Effect.fork(Progress.render(progress, { output, redrawEvery: 100 }))
      yield* TestClock.adjust("350 millis")
      assert.strictEqual(writes.length, 4)
      assert.isTrue(writes.every((text) => text.startsWith("\r\u001b[2K[") && !text.endsWith("\n")))
      yield* SubscriptionRef.set(progress, { ...running, phase: "completed" as const, completed: 980 })
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      assert.isTrue(writes[writes.length - 1].endsWith("| completed\n"))
    }))

  it.effect("prints a line every interval elsewhere", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make({ total: 10 })
      const { output, writes } = fakeOutput(false)
      yield* SubscriptionRef.set(progress, { ...running, total: 10, completed: 1, failed: 0 })
      const fiber = yield* Effect.fork(Progress.render(progress, { output, lineEvery: 10_000 }))
      yield* TestClock.adjust("25 seconds")
      assert.strictEqual(writes.length, 3)
      assert.isTrue(writes.every((text) => text.endsWith("\n") && !text.includes("\r")))
      yield* SubscriptionRef.update(progress, (s): Progress.Snapshot => ({ ...s, phase: "interrupted" }))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      assert.include(writes[writes.length - 1], "interrupted")
    }))
})
