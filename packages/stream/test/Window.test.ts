import { assert, describe, it } from "@effect/vitest"
import { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { Estimates, Tracked, Window } from "../src/PollingRule.js"
import * as PollSchedule from "../src/PollSchedule.js"

const iso = (millis: number) => new Date(millis).toISOString()

const T0 = Date.UTC(2026, 0, 1)

const detail = (
  id: string,
  status: string,
  times: { created?: number; started?: number; completed?: number } = {}
) =>
  new PipelineRequestDetail({
    id,
    status,
    time_created: iso(times.created ?? T0),
    time_started: times.started === undefined ? null : iso(times.started),
    time_completed: times.completed === undefined ? null : iso(times.completed)
  })

const makeWindow = (count: number, options?: Partial<PollSchedule.Options>) => {
  const window = new Window<number>(new Estimates(), PollSchedule.resolve(options), 250)
  for (let i = 0; i < count; i++) window.add(new Tracked(`r${i}`, i, i, 0, T0))
  return window
}

/** Two requests finished in 4 s each: the window now knows the duration. */
const learn = (window: Window<number>, at: number) => {
  window.add(new Tracked("done-1", -1, -1, 0, T0))
  window.add(new Tracked("done-2", -2, -2, 0, T0))
  const finished = window.observe([
    detail("done-1", "completed", { started: T0, completed: T0 + 4_000 }),
    detail("done-2", "completed", { started: T0, completed: T0 + 4_000 })
  ], at)
  assert.strictEqual(finished.length, 2)
}

describe("Window", () => {
  it("polls the oldest 250 in one call while nothing can be predicted", () => {
    const window = makeWindow(600)
    assert.isUndefined(window.predictedDelay(T0))
    const groups = window.plan(T0, 4)
    assert.strictEqual(groups.length, 1)
    assert.deepStrictEqual(groups[0], Array.from({ length: 250 }, (_, i) => `r${i}`))
  })

  it("polls requests adopted on resume (creation unknown) at once, up to the round's calls, not one call a turnaround", () => {
    const window = new Window<number>(new Estimates(), PollSchedule.resolve(undefined), 250)
    for (let i = 0; i < 1_200; i++) window.add(new Tracked(`a${i}`, i, i, 0, Number.NaN))
    // a first poll taught the window a turnaround (created at T0, completed 10 s later)
    window.add(new Tracked("done", -1, -1, 0, Number.NaN))
    window.observe(
      [detail("done", "completed", { created: T0, started: T0 + 9_000, completed: T0 + 10_000 })],
      T0 + 60_000
    )
    const groups = window.plan(T0 + 60_000, 4)
    assert.strictEqual(groups.length, 4)
    assert.deepStrictEqual(groups.map((group) => group.length), [250, 250, 250, 250])
    assert.isAtMost(window.predictedDelay(T0 + 60_000) ?? Number.POSITIVE_INFINITY, 100)
  })

  it("predicts processing requests from their start and queued ones in FIFO order over the workers seen", () => {
    const window = makeWindow(6)
    learn(window, T0 + 4_000)
    // two of ours are processing (started at +10 s and +12 s): the workers; four wait behind them
    window.observe([
      detail("r0", "processing", { started: T0 + 10_000 }),
      detail("r1", "processing", { started: T0 + 12_000 }),
      detail("r2", "pending")
    ], T0 + 12_500)
    const now = T0 + 12_500
    // r0 should finish at +14 s: the earliest, plus the margin (100 ms)
    assert.strictEqual(window.predictedDelay(now), 14_000 + 100 - 12_500)
    // just before +14 s nothing is due: one call with the oldest; at +14 s, r0 first, then the others as filler
    assert.deepStrictEqual(window.plan(T0 + 13_999, 4), [["r0", "r1", "r2", "r3", "r4", "r5"]])
    const groups = window.plan(T0 + 14_000, 4)
    assert.deepStrictEqual(groups, [["r0", "r1", "r2", "r3", "r4", "r5"]])
    // the queued: r2 at 14+4, r3 at 16+4, r4 at 18+4, r5 at 20+4: none due before +18 s besides r0 and r1
    assert.deepStrictEqual(window.plan(T0 + 17_999, 4)[0].slice(0, 2), ["r0", "r1"])
    const due = (at: number) => {
      window.plan(at, 4)
      return Array.from(window.items.values()).filter((t) => t.due).map((t) => t.id)
    }
    assert.deepStrictEqual(due(T0 + 17_999), ["r0", "r1"])
    assert.deepStrictEqual(due(T0 + 18_000), ["r0", "r1", "r2"])
    assert.deepStrictEqual(due(T0 + 22_000), ["r0", "r1", "r2", "r3", "r4"])
  })

  it("does not queue requests behind the processing ones while none was seen pending", () => {
    const window = makeWindow(1_000)
    learn(window, T0 + 4_000)
    // a poll caught one request still running, the others not seen yet: they are not waiting behind it
    window.observe([detail("r0", "processing", { started: T0 + 1_000 })], T0 + 1_500)
    const due = () => Array.from(window.items.values()).filter((t) => t.due).length
    window.plan(T0 + 4_000, 4)
    // created at T0, 4 s turnaround: all due now but r0, which started at +1 s and runs 4 s
    assert.strictEqual(due(), 999)
  })

  it("waits for requests predicted to finish within the coalescing time, not longer", () => {
    const window = makeWindow(3, { coalesce: "1 second", margin: "0 millis" })
    learn(window, T0 + 4_000)
    window.observe([
      detail("r0", "processing", { started: T0 + 10_000 }),
      detail("r1", "processing", { started: T0 + 10_600 }),
      detail("r2", "processing", { started: T0 + 11_200 })
    ], T0 + 11_300)
    // finishes predicted at +14.0, +14.6 and +15.2 s: the poll waits for the second, not the third
    assert.strictEqual(window.predictedDelay(T0 + 11_300), 14_600 - 11_300)
  })

  it("splits due requests into calls of at most 250 ids, at most `maxGroups` of them", () => {
    const window = makeWindow(700)
    learn(window, T0 + 4_000)
    // nothing processing: a request is predicted `turnaround` (4 s) after its creation at T0
    const groups = window.plan(T0 + 4_000, 4)
    assert.deepStrictEqual(groups.map((ids) => ids.length), [250, 250, 200])
    assert.deepStrictEqual(window.plan(T0 + 4_000, 2).map((ids) => ids.length), [250, 250])
    assert.strictEqual(new Set(groups.flat()).size, 700)
  })

  it("checks a request found unfinished after its predicted finish again after a growing backoff", () => {
    const window = makeWindow(1)
    learn(window, T0 + 4_000)
    window.observe([detail("r0", "processing", { started: T0 + 10_000 })], T0 + 10_100)
    let now = T0 + 14_000
    const delays: Array<number | undefined> = []
    for (let i = 0; i < 4; i++) {
      assert.deepStrictEqual(window.plan(now, 4), [["r0"]])
      window.observe([detail("r0", "processing", { started: T0 + 10_000 })], now)
      const delay = window.predictedDelay(now)
      delays.push(delay)
      now += delay ?? 0
    }
    // 200 ms, 400, 800, 1600 (the backoff), plus the 100 ms margin
    assert.deepStrictEqual(delays, [300, 500, 900, 1_700])
  })

  it("emits each finished request once and forgets it", () => {
    const window = makeWindow(3)
    const finished = window.observe([detail("r1", "failed"), detail("r1", "completed"), detail("zz", "completed")], T0)
    assert.deepStrictEqual(finished.map((f) => f.id), ["r1"])
    assert.deepStrictEqual(window.ids(), ["r0", "r2"])
    assert.isFalse(window.add(new Tracked("r0", 9, 9, 0, T0)))
  })

  it("converts predictions with the server's clock offset", () => {
    const estimates = new Estimates()
    const window = new Window<number>(estimates, PollSchedule.resolve(undefined), 250)
    const skew = 3_600_000
    // the server's clock is an hour ahead: a create sent at local L answered at L + 20 says it was created at L + skew + 10
    const local = T0
    estimates.observeCreate(local + skew + 10, local, local + 20)
    // the offset lies in [skew - 10, skew + 10]; the lower bound is used, so that predictions are never early
    assert.strictEqual(estimates.offset, skew - 10)
    estimates.observeFinished(T0, T0, T0 + 2_000)
    window.add(new Tracked("r0", 0, 0, 0, Number.NaN))
    window.observe([detail("r0", "processing", { started: local + skew + 500 })], local + 600)
    // server: started at +500, runs 2 s: finishes at local +2,500, or +2,510 at the latest; margin 100 ms
    assert.strictEqual(window.predictedDelay(local + 600), 2_510 + 100 - 600)
  })

  it("is never early for want of knowing the clock: a slow create widens the offset's bounds, not the polls", () => {
    const estimates = new Estimates()
    const window = new Window<number>(estimates, PollSchedule.resolve(undefined), 250)
    // the clocks agree, but a busy client took 480 ms for a create the server stamped 451 ms after it was sent:
    // the offset lies in [-29, 451] ms
    estimates.observeCreate(T0 + 451, T0, T0 + 480)
    estimates.observeFinished(T0, T0, T0 + 2_000)
    window.add(new Tracked("r0", 0, 0, 0, T0 + 451))
    window.observe([detail("r0", "processing", { created: T0 + 451, started: T0 + 2_452 })], T0 + 2_500)
    // it finishes at T0 + 4,452: the poll must not come before, whatever the offset within its bounds
    const delay = window.predictedDelay(T0 + 2_500)!
    assert.isAtLeast(T0 + 2_500 + delay, T0 + 4_452)
    assert.isAtMost(T0 + 2_500 + delay, T0 + 4_452 + 29 + 100)
    window.plan(T0 + 4_451, 4)
    assert.isFalse(window.items.get("r0")!.due)
  })
})

describe("Estimates", () => {
  it("narrows the clock offset with each create and keeps the lower bound from later timestamps", () => {
    const estimates = new Estimates()
    assert.strictEqual(estimates.offset, 0)
    estimates.observeCreate(1_050, 1_000, 1_100)
    assert.deepStrictEqual(estimates.bounds, { low: -50, high: 50 })
    assert.strictEqual(estimates.offset, -50)
    estimates.observeCreate(2_040, 2_000, 2_060)
    // bounds [1050 - 1100, 1050 - 1000] = [-50, 50], then [2040 - 2060, 2040 - 2000] = [-20, 40]
    assert.deepStrictEqual(estimates.bounds, { low: -20, high: 40 })
    assert.strictEqual(estimates.offset, -20)
    const polled = new Estimates()
    polled.observeTimestamp(5_000, 4_000)
    assert.strictEqual(polled.offset, 1_000)
  })

  it("smooths durations", () => {
    const estimates = new Estimates()
    assert.isFalse(estimates.known)
    estimates.observeFinished(0, 0, 1_000)
    assert.strictEqual(estimates.duration, 1_000)
    estimates.observeFinished(0, 0, 2_000)
    assert.strictEqual(estimates.duration, 1_200)
    assert.isTrue(estimates.known)
  })
})
