/**
 * The reference client's copy of the polling rule (`reference/rule.ts`) decides as `Batch.run` does: the same
 * observations fed to both give the same polls and the same waits. The stream package's internal modules are
 * loaded by a path in a variable, so that a refactoring there fails this test, not the type check of the repo.
 */
import { assert, describe, it } from "vitest"
import * as Reference from "../reference/rule.js"

interface StreamTracked {
  readonly id: string
}
interface StreamWindow {
  add(tracked: StreamTracked): boolean
  plan(now: number, maxGroups: number): Array<Array<string>>
  predictedDelay(now: number): number | undefined
  observe(details: ReadonlyArray<unknown>, receivedAt: number): Array<StreamTracked>
  readonly estimates: { observeCreate(created: number, sentAt: number, receivedAt: number): void }
}
interface StreamModules {
  readonly Window: new(estimates: unknown, schedule: unknown, maxIds: number) => StreamWindow
  readonly Tracked: new(id: string, index: number, input: unknown, chunk: number, created: number) => StreamTracked
  readonly Estimates: new() => unknown
  readonly resolve: (options: undefined) => Reference.ScheduleOptions
  readonly nextEmptyStreak: (streak: number, outcome: Reference.Outcome) => number
  readonly delayAfter: (options: Reference.ScheduleOptions, streak: number, outcome: Reference.Outcome) => number
}

const load = async (): Promise<StreamModules> => {
  const paths = [
    "@ubiops-effect/stream/internal/window",
    "@ubiops-effect/stream/internal/estimates",
    "@ubiops-effect/stream/PollSchedule"
  ]
  const [window, estimates, schedule] = await Promise.all(paths.map((path) => import(path)))
  return { ...window, ...estimates, ...schedule } as StreamModules
}

const T0 = Date.parse("2026-01-01T00:00:00.000Z")
const iso = (millis: number) => new Date(millis).toISOString()

/** A detail as collect returns it, with the fields the rule reads. */
const detail = (id: string, status: string, started?: number, completed?: number) => ({
  id,
  status,
  time_created: iso(T0),
  time_started: started === undefined ? null : iso(started),
  time_completed: completed === undefined ? null : iso(completed)
})

describe("the reference's polling rule", () => {
  it("matches PollSchedule's backoff and predicted waits", async () => {
    const stream = await load()
    const options = stream.resolve(undefined)
    assert.deepStrictEqual(options, Reference.defaultSchedule)
    const schedule = new Reference.Schedule(options)
    let streak = 0
    const outcomes: Array<Reference.Outcome> = [
      { polled: 0, finished: 0, predictedMillis: undefined },
      { polled: 250, finished: 0, predictedMillis: undefined },
      { polled: 250, finished: 0, predictedMillis: undefined },
      { polled: 250, finished: 0, predictedMillis: undefined },
      { polled: 250, finished: 20, predictedMillis: 1900 },
      { polled: 250, finished: 0, predictedMillis: -5 },
      { polled: 0, finished: 0, predictedMillis: 9000 },
      ...Array.from({ length: 8 }, () => ({ polled: 250, finished: 0, predictedMillis: undefined }))
    ]
    for (const outcome of outcomes) {
      streak = stream.nextEmptyStreak(streak, outcome)
      assert.strictEqual(schedule.next(outcome), stream.delayAfter(options, streak, outcome), JSON.stringify(outcome))
    }
  })

  it("chooses the same ids and the same waits as the stream package's Window", async () => {
    const stream = await load()
    const options = stream.resolve(undefined)
    const theirs = new stream.Window(new stream.Estimates(), options, 250)
    const ours = new Reference.Window<number, ReturnType<typeof detail>>(new Reference.Estimates(), options, 250)
    const ids = Array.from({ length: 600 }, (_, i) => `r${String(i).padStart(4, "0")}`)
    ids.forEach((id, index) => {
      theirs.add(new stream.Tracked(id, index, index, Math.floor(index / 250), T0))
      ours.add(new Reference.Tracked(id, index, index, T0))
    })
    theirs.estimates.observeCreate(T0, T0 - 3, T0 + 4)
    ours.estimates.observeCreate(T0, T0 - 3, T0 + 4)

    // 20 workers, 2 s a request: waves of 20 finish every 2 s
    const wave = (k: number) => ids.slice(20 * k, 20 * (k + 1))
    const compare = (now: number, details: Array<ReturnType<typeof detail>>) => {
      assert.deepStrictEqual(ours.predictedDelay(now), theirs.predictedDelay(now), `delay at ${now - T0}`)
      assert.deepStrictEqual(ours.plan(now, 4), theirs.plan(now, 4), `plan at ${now - T0}`)
      const finishedOurs = ours.observe(details, now + 5).map((tracked) => tracked.id)
      const finishedTheirs = theirs.observe(details, now + 5).map((tracked) => tracked.id)
      assert.deepStrictEqual(finishedOurs, finishedTheirs, `finished at ${now - T0}`)
    }
    const poll = (now: number) => {
      const done = Math.floor((now - T0) / 2000)
      return ids.slice(0, 250).map((id, index) => {
        const k = Math.floor(index / 20)
        if (k < done) return detail(id, "completed", T0 + 2000 * k, T0 + 2000 * (k + 1))
        if (k === done) return detail(id, "processing", T0 + 2000 * k)
        return detail(id, "pending")
      })
    }
    for (const now of [T0 + 200, T0 + 600, T0 + 1400, T0 + 3000, T0 + 4100, T0 + 6100, T0 + 7000, T0 + 8100]) {
      compare(now, poll(now))
    }
    assert.strictEqual(wave(0).length, 20)
  })
})
