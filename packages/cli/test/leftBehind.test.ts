import { assert, describe, it } from "@effect/vitest"
import * as Progress from "@ubiops-effect/stream/Progress"
import { Effect, SubscriptionRef } from "effect"
import * as Cli from "../src/Cli.js"

const progressAt = (fields: Partial<Progress.Snapshot>) =>
  Effect.gen(function*() {
    const progress = yield* Progress.make({ total: 600 })
    yield* SubscriptionRef.update(progress, (snapshot) => ({ ...snapshot, phase: "running" as const, ...fields }))
    return progress
  })

describe("what a forced quit leaves behind", () => {
  it.effect("counts the requests created and not finished", () =>
    Effect.gen(function*() {
      const progress = yield* progressAt({ submitted: 600, completed: 100, pending: 500 })
      assert.match(Cli.leftBehind(progress)!, /^up to 500 requests created by this run may still be pending/)
    }))

  it.effect("counts the lines whose creates were under way: the server may have accepted them", () =>
    Effect.gen(function*() {
      const progress = yield* progressAt({ submitted: 250, completed: 50, pending: 200 })
      assert.match(
        Cli.leftBehind(progress)!,
        /^up to 550 requests of this run \(200 created, up to 350 more by creates that were under way\) may still/
      )
    }))

  it.effect("says nothing when every request of the run finished", () =>
    Effect.gen(function*() {
      const progress = yield* progressAt({ submitted: 600, completed: 600, phase: "completed" })
      assert.isUndefined(Cli.leftBehind(progress))
    }))
})
