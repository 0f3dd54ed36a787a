import { assert, describe, it } from "@effect/vitest"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as RetryBudget from "@ubiops-effect/core/RetryBudget"
import * as RetryPolicy from "@ubiops-effect/core/RetryPolicy"
import { RateLimited, Timeout } from "@ubiops-effect/core/UbiOpsError"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorHttpClient from "@ubiops-effect/emulator/EmulatorHttpClient"
import { Clock, Effect, Exit, Layer, Redacted, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as Reconciliation from "../src/Reconciliation.js"
import { demoEcho, demoSleep } from "./utils/projects.js"
import { onTestClock } from "./utils/testClock.js"

// A full outage: every call is answered 503. The client retries each call (5 times at most) and the stream
// package's loops retry above it (a reconciliation read 3 more times, a poll round `pollRetries` more times); all of
// those retries are paid from the client's one budget. With a capacity of 50 and 5 tokens a retry after a 5xx, the
// whole client may retry 10 times: a read that fails through the outage is sent at most 1 + 10 times.
const capacity = 50
const bound = 1 + capacity / 5

const clientStack = PipelineRequests.layer({
  token: Redacted.make("t"),
  host: EmulatorHttpClient.baseUrl,
  retryBudget: { capacity },
  rateGovernor: false
}).pipe(
  Layer.provide(EmulatorHttpClient.layer),
  Layer.provideMerge(Emulator.layer({ token: "t" }))
)

const outage = Emulator.setFaults({ errorRates: { "503": 1 } })

const calls = (operation: string) => Effect.map(Emulator.stats, (stats) => stats.calls[operation] ?? 0)

describe("the retry budget during a full outage", () => {
  it.effect("bounds the attempts of one page of Batch.listAll", () =>
    Effect.gen(function*() {
      yield* outage
      const exit = yield* onTestClock(Effect.exit(Stream.runCollect(Batch.listAll(demoEcho))), 100)
      assert.isTrue(Exit.isFailure(exit))
      // no loop above the client's: its own retries only (1 + 5, within the budget)
      assert.strictEqual(yield* calls("pipelineRequestsList"), 6)
      assert.isAtMost(yield* calls("pipelineRequestsList"), bound)
    }).pipe(Effect.provide(clientStack)))

  it.effect("bounds the attempts of one reconciliation read, its retries above the client included", () =>
    Effect.gen(function*() {
      yield* outage
      const now = Date.now()
      const exit = yield* onTestClock(
        Effect.exit(
          Reconciliation.findAccepted(demoEcho, [{ n: 1 }], { from: new Date(now - 60_000), to: new Date(now) })
        ),
        100
      )
      assert.isTrue(Exit.isFailure(exit))
      // without the budget on the loop: 10 retries of the client, plus the loop's 3 more reads (14)
      assert.strictEqual(yield* calls("pipelineRequestsList"), bound)
    }).pipe(Effect.provide(clientStack)))

  it.effect("bounds the attempts of one poll round, its retries above the client included", () =>
    Effect.gen(function*() {
      const service = yield* PipelineRequests.PipelineRequests
      const created = yield* service.createBatch(demoSleep, [{ seconds: 60 }, { seconds: 60 }])
      yield* outage
      const before = yield* calls("pipelineRequestsBatchGet")
      const exit = yield* onTestClock(
        Effect.exit(Stream.runCollect(Batch.poll(demoSleep, created.map((request) => request.id), { pollRetries: 5 }))),
        100
      )
      assert.isTrue(Exit.isFailure(exit))
      // without the budget on the loop: 10 retries of the client, plus the loop's 5 more rounds (16)
      assert.strictEqual((yield* calls("pipelineRequestsBatchGet")) - before, bound)
      assert.strictEqual(yield* (yield* PipelineRequests.retryBudget).available, 0)
    }).pipe(Effect.provide(clientStack)))

  it.effect("bounds the calls of a whole run: only the first attempts are not paid for", () =>
    Effect.gen(function*() {
      yield* outage
      const exit = yield* onTestClock(
        Effect.exit(Stream.runCollect(Batch.run(demoEcho, Array.from({ length: 1_000 }, (_, n) => ({ n }))))),
        100
      )
      assert.isTrue(Exit.isFailure(exit))
      // 4 chunks: 4 creates (a create is not retried after a 5xx: it may have made requests), whose reconciliations
      // each send a first list; the retries of all of them, the client's and the loops', share the 10 of the budget
      // (without the budget on the loops: 26 lists)
      const stats = yield* Emulator.stats
      assert.deepStrictEqual(stats.calls, { batchPipelineRequestsCreate: 4, pipelineRequestsList: 4 + capacity / 5 })
    }).pipe(Effect.provide(clientStack)))
})

describe("a retry above the client", () => {
  const rateLimited = new RateLimited({
    operation: "pipelineRequestsList",
    method: "GET",
    path: "/v2.1/projects/demo/pipelines/echo/requests",
    status: 429,
    retryAfterMillis: 20_000
  })
  const window = () => {
    const now = Date.now()
    return { from: new Date(now - 60_000), to: new Date(now) }
  }

  /** The in-process service whose first list fails with `first`, recording when each list is sent. */
  const firstListFails = (budget: RetryBudget.RetryBudget | undefined, first: RateLimited | Timeout = rateLimited) =>
    Effect.map(PipelineRequests.PipelineRequests, (service) => {
      const sentAt: Array<number> = []
      const wrapped: PipelineRequests.Service = {
        ...service,
        retryBudget: budget,
        list: (target, options) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            sentAt.push(now)
            return sentAt.length === 1 ? Effect.fail(first) : service.list(target, options)
          })
      }
      return { sentAt, wrapped }
    })

  it.effect("waits as long as a rate limit asks, not the loop's shorter backoff", () =>
    Effect.gen(function*() {
      const { sentAt, wrapped } = yield* firstListFails(undefined)
      const found = yield* onTestClock(
        Reconciliation.findAccepted(demoEcho, [{ n: 1 }], window()).pipe(
          Effect.provideService(PipelineRequests.PipelineRequests, wrapped)
        ),
        100
      )
      assert.deepStrictEqual(found.ids, [undefined])
      assert.isAtLeast(sentAt.length, 2)
      assert.isAtLeast(sentAt[1] - sentAt[0], 20_000)
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))

  it.effect("is made for a read that ran out of its whole call's deadline (core cannot retry that one itself)", () =>
    Effect.gen(function*() {
      const callDeadline = new Timeout({
        operation: "pipelineRequestsList",
        method: "GET",
        path: rateLimited.path,
        scope: "call",
        afterMillis: 60_000,
        mayHaveReachedServer: true
      })
      const budget = yield* RetryBudget.make(50)
      const { sentAt, wrapped } = yield* firstListFails(budget, callDeadline)
      const found = yield* onTestClock(
        Reconciliation.findAccepted(demoEcho, [{ n: 1 }], window()).pipe(
          Effect.provideService(PipelineRequests.PipelineRequests, wrapped)
        ),
        100
      )
      assert.deepStrictEqual(found.ids, [undefined])
      assert.isAtLeast(sentAt.length, 2)
      assert.strictEqual(yield* budget.available, 50 - RetryPolicy.retryCost(callDeadline))
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))

  it.effect("is not made when the service's budget cannot pay for it", () =>
    Effect.gen(function*() {
      const { sentAt, wrapped } = yield* firstListFails(yield* RetryBudget.make(4))
      const exit = yield* onTestClock(
        Effect.exit(
          Reconciliation.findAccepted(demoEcho, [{ n: 1 }], window()).pipe(
            Effect.provideService(PipelineRequests.PipelineRequests, wrapped)
          )
        ),
        100
      )
      assert.deepStrictEqual(exit, Exit.fail(rateLimited))
      assert.strictEqual(sentAt.length, 1)
    }).pipe(Effect.provide(Emulator.layerPipelineRequests())))
})
