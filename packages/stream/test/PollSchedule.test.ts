import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Schedule, TestClock } from "effect"
import * as PollingRule from "../src/PollingRule.js"
import * as PollSchedule from "../src/PollSchedule.js"

const nothing: PollSchedule.Outcome = { polled: 250, finished: 0, predictedMillis: undefined }
const some: PollSchedule.Outcome = { polled: 250, finished: 3, predictedMillis: undefined }

/** The waits the schedule chooses for these outcomes, one after the other. */
const waits = (outcomes: ReadonlyArray<PollSchedule.Outcome>, options?: Partial<PollSchedule.Options>) =>
  Effect.gen(function*() {
    const driver = yield* Schedule.driver(PollSchedule.make(options))
    const chosen: Array<number> = []
    for (const outcome of outcomes) {
      const fiber = yield* Effect.fork(driver.next(outcome))
      yield* TestClock.adjust("1 hour")
      chosen.push(Duration.toMillis(yield* Fiber.join(fiber)))
    }
    return chosen
  })

describe("PollSchedule", () => {
  it.effect("backs off from 200 ms, doubling up to 5 s, while polls find nothing; a result resets it", () =>
    Effect.gen(function*() {
      const start: PollSchedule.Outcome = { polled: 0, finished: 0, predictedMillis: undefined }
      const chosen = yield* waits([start, nothing, nothing, nothing, nothing, nothing, nothing, some, nothing])
      assert.deepStrictEqual(chosen, [200, 400, 800, 1_600, 3_200, 5_000, 5_000, 200, 400])
    }))

  it.effect("waits for a prediction when there is one, never longer than the cap", () =>
    Effect.gen(function*() {
      const chosen = yield* waits([
        { polled: 250, finished: 20, predictedMillis: 1_900 },
        { polled: 250, finished: 0, predictedMillis: 0 },
        { polled: 250, finished: 0, predictedMillis: -30 },
        { polled: 250, finished: 0, predictedMillis: 60_000 }
      ])
      assert.deepStrictEqual(chosen, [1_900, 0, 0, 5_000])
    }))

  it.effect("sleeps on the clock: the next poll happens after the chosen wait", () =>
    Effect.gen(function*() {
      const driver = yield* Schedule.driver(PollSchedule.make({ initialDelay: "1 second" }))
      const fiber = yield* Effect.fork(driver.next({ polled: 0, finished: 0, predictedMillis: undefined }))
      yield* TestClock.adjust("999 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(fiber)), 1_000)
    }))

  it("takes its options and refuses nonsense", () => {
    const resolved = PollSchedule.resolve({ maxDelay: "10 seconds", factor: 3 })
    assert.deepStrictEqual(
      [0, 1, 2, 3, 4].map((step) => PollSchedule.backoff(resolved, step)),
      [200, 600, 1_800, 5_400, 10_000]
    )
    assert.throws(() => PollSchedule.resolve({ factor: 0.5 }))
    assert.throws(() => PollSchedule.resolve({ initialDelay: "10 seconds", maxDelay: "1 second" }))
  })
})

describe("PollingRule.Pacer", () => {
  it.effect("waits as PollSchedule.make does, without Effect", () =>
    Effect.gen(function*() {
      const outcomes: Array<PollSchedule.Outcome> = [
        { polled: 0, finished: 0, predictedMillis: undefined },
        nothing,
        nothing,
        { polled: 250, finished: 20, predictedMillis: 1_900 },
        { polled: 250, finished: 0, predictedMillis: -5 },
        { polled: 0, finished: 0, predictedMillis: 9_000 },
        ...Array.from({ length: 8 }, () => nothing)
      ]
      const pacer = new PollingRule.Pacer(PollingRule.defaultSchedule)
      assert.deepStrictEqual(PollSchedule.resolve(undefined), PollingRule.defaultSchedule)
      assert.deepStrictEqual(yield* waits(outcomes), outcomes.map((outcome) => pacer.next(outcome)))
    }))
})
