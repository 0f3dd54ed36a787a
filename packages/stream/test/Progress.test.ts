import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, SubscriptionRef, TestClock, TestServices } from "effect"
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
  it("writes counts with a comma between thousands, as Intl.NumberFormat(\"en-US\") does", () => {
    const english = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
    for (const count of [0, 7, 999, 1_000, 12_345, 999_999, 1_000_000, 1_234_567_890, -4_321, 2.6]) {
      assert.strictEqual(Progress.formatCount(count), english.format(count))
    }
    assert.strictEqual(Progress.formatCount(Number.POSITIVE_INFINITY), "Infinity")
  })

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
      yield* TestClock.adjust("1 millis") // before the next redraw
      assert.isTrue(Option.isSome(yield* Fiber.poll(fiber)), "the renderer ended with the run")
      assert.strictEqual(writes.length, 5)
      assert.isTrue(writes[4].endsWith("| completed\n"))
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
      yield* TestClock.adjust("1 millis") // the next line is 5 s away
      assert.isTrue(Option.isSome(yield* Fiber.poll(fiber)), "the renderer ended with the run")
      assert.strictEqual(writes.length, 4)
      assert.include(writes[3], "| interrupted")
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(writes.length, 4)
    }))

  it.effect("prints the last line at once when the run ends, not at its next tick", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make({ total: 10 })
      const { output, writes } = fakeOutput(false)
      yield* SubscriptionRef.set(progress, { ...running, total: 10, completed: 1, failed: 0 })
      const fiber = yield* Effect.fork(Progress.render(progress, { output, lineEvery: 10_000 }))
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(writes.length, 1)
      yield* SubscriptionRef.update(progress, (s): Progress.Snapshot => ({ ...s, completed: 8, failed: 2 }))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(writes.length, 1, "a change that does not end the run waits for the next tick")
      yield* SubscriptionRef.update(progress, (s): Progress.Snapshot => ({ ...s, phase: "completed" }))
      // the test clock stands still: only the run's end can make the renderer return (a real second to do it)
      yield* TestServices.provideLive(Effect.timeout(Fiber.join(fiber), "1 second"))
      assert.strictEqual(writes.length, 2)
      assert.include(writes[1], "10/10 100%")
      assert.isTrue(writes[1].endsWith("| completed\n"))
    }))

  it.effect("prints the last line even when its fiber is interrupted as its parent ends with the run", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make()
      const { output, writes } = fakeOutput(false)
      yield* SubscriptionRef.set(progress, running)
      const parent = yield* Effect.fork(Effect.gen(function*() {
        yield* Effect.fork(Progress.render(progress, { output }))
        yield* TestClock.adjust("1 millis")
        yield* SubscriptionRef.update(progress, (s): Progress.Snapshot => ({ ...s, phase: "failed" }))
      })) // it ends right after the run: its child fiber, the renderer, is interrupted then
      yield* Fiber.join(parent)
      assert.strictEqual(writes.length, 2)
      assert.isTrue(writes[1].endsWith("| failed\n"))
    }))

  it.effect("prints only the last line when the run is over before it starts", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make()
      const { output, writes } = fakeOutput(true)
      yield* SubscriptionRef.set(progress, { ...running, phase: "completed" as const })
      yield* Progress.render(progress, { output })
      assert.strictEqual(writes.length, 1)
      assert.isTrue(writes[0].endsWith("| completed\n"))
    }))
})
