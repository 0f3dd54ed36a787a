import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Cause, Chunk, Effect, Exit, Layer, Redacted, Stream } from "effect"
import * as Batch from "../src/Batch.js"
import * as HostileProxy from "./utils/hostileProxy.js"
import { demoEcho } from "./utils/projects.js"

const token = "untrusted-token"
const foreignId = "00000000-0000-4000-8000-000000000000"

type Tamper = Parameters<typeof HostileProxy.start>[1]

/** `Batch.run` of `count` inputs through a hostile server in front of a loopback emulator. */
const runThrough = (tamper: Tamper, count: number, options: Batch.RunOptions = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const emulator = yield* EmulatorServer.EmulatorServer
    const proxy = yield* HostileProxy.start(emulator.origin, tamper)
    const inputs = Array.from({ length: count }, (_, n) => ({ n }))
    const started = Date.now()
    const exit = yield* Batch.run(demoEcho, inputs, options).pipe(
      Stream.runCollect,
      Effect.provide(
        PipelineRequests.layer({
          token: Redacted.make(token),
          host: proxy.origin + emulator.baseUrl.slice(emulator.origin.length)
        }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      ),
      Effect.exit
    )
    const stats = yield* Emulator.stats
    return { exit, inputs, stats, millis: Date.now() - started }
  })).pipe(Effect.provide(EmulatorServer.layerWithEmulator({ port: 0, token })))

const isCollect = (exchange: HostileProxy.Exchange) =>
  exchange.path.includes("/requests/collect") && exchange.status === 200
const isBatchCreate = (exchange: HostileProxy.Exchange) =>
  exchange.path.includes("/requests/batch") && exchange.status < 300

const error = <A, E>(exit: Exit.Exit<A, E>) => {
  assert.isTrue(Exit.isFailure(exit), "the run failed")
  return Cause.squash((exit as Exit.Failure<A, E>).cause) as { _tag: string; message: string }
}

describe("Batch.run against a server whose replies cannot be trusted", () => {
  it.live("ids a collect was not asked for are ignored: each input gets its own result, once", () =>
    Effect.gen(function*() {
      const { exit, inputs, stats } = yield* runThrough((exchange) => {
        if (!isCollect(exchange)) return undefined
        const details = JSON.parse(exchange.body) as Array<Record<string, unknown>>
        const fake = { ...details[0], id: foreignId, status: "completed", result: { n: -1 } }
        return { status: 200, body: JSON.stringify([fake, ...details]) }
      }, 300)
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isFailure(exit)) return
      const results = Chunk.toReadonlyArray(exit.value)
      assert.strictEqual(results.length, inputs.length)
      assert.strictEqual(new Set(results.map((result) => result.index)).size, inputs.length)
      for (const result of results) {
        assert.strictEqual(result.status, "completed")
        if (result.status === "completed") assert.notStrictEqual(result.requestId, foreignId)
        assert.deepStrictEqual(result.status === "completed" ? result.output : undefined, inputs[result.index])
      }
      assert.strictEqual(stats.created.total, inputs.length)
    }))

  it.live("a collect that never answers the ids asked for ends the run with a typed error, after a few rounds", () =>
    Effect.gen(function*() {
      let collects = 0
      const { exit, millis, stats } = yield* runThrough(
        (exchange) => {
          if (!isCollect(exchange)) return undefined
          collects++
          const details = JSON.parse(exchange.body) as Array<Record<string, unknown>>
          return {
            status: 200,
            body: JSON.stringify(details.map((detail, i) => ({ ...detail, id: `${foreignId}-${i}` })))
          }
        },
        20,
        { pollRetries: 2 }
      )
      const failed = error(exit)
      assert.strictEqual(failed._tag, "DecodeError")
      assert.include(failed.message, "left out of 3 replies in a row")
      assert.isAtMost(collects, 6, "it did not poll on and on")
      assert.isBelow(millis, 20_000)
      // the run's requests are cancelled as it stops (the cancel goes to the same server)
      assert.strictEqual(stats.statuses.pending + stats.statuses.processing, 0)
    }))

  it.live("a create reply that gives one id to two inputs is reconciled: every input once, nothing created twice", () =>
    Effect.gen(function*() {
      let tampered = false
      const { exit, inputs, stats } = yield* runThrough((exchange) => {
        if (!isBatchCreate(exchange) || tampered) return undefined
        tampered = true
        const details = JSON.parse(exchange.body) as Array<Record<string, unknown>>
        details[1] = { ...details[1], id: details[0].id }
        return { status: exchange.status, body: JSON.stringify(details) }
      }, 40)
      assert.isTrue(tampered)
      assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
      if (Exit.isFailure(exit)) return
      const results = Chunk.toReadonlyArray(exit.value)
      assert.strictEqual(results.length, inputs.length)
      assert.strictEqual(
        new Set(results.map((result) => result.status === "unconfirmed" ? undefined : result.requestId)).size,
        inputs.length
      )
      for (const result of results) {
        assert.deepStrictEqual(result.status === "completed" ? result.output : undefined, inputs[result.index])
      }
      assert.strictEqual(stats.created.total, inputs.length, "nothing was created twice")
    }))

  it.live("an id given again to an input of a later create fails the run, naming it, instead of losing a line", () =>
    Effect.gen(function*() {
      let firstId: unknown
      const { exit } = yield* runThrough(
        (exchange) => {
          if (!isBatchCreate(exchange)) return undefined
          const details = JSON.parse(exchange.body) as Array<Record<string, unknown>>
          if (firstId === undefined) {
            firstId = details[0].id
            return undefined
          }
          details[0] = { ...details[0], id: firstId }
          return { status: exchange.status, body: JSON.stringify(details) }
        },
        20,
        { chunkSize: 10, concurrency: 1, schedule: { initialDelay: "2 seconds" } }
      )
      const failed = error(exit)
      assert.strictEqual(failed._tag, "DecodeError")
      assert.include(failed.message, `gave request id ${String(firstId)} to input 10 and to an earlier input`)
    }))

  it.live("an id given again after its first input's result was emitted fails the run too", () =>
    Effect.gen(function*() {
      let firstIds: Array<unknown> | undefined
      const { exit } = yield* runThrough(
        (exchange) => {
          if (!isBatchCreate(exchange)) return undefined
          const details = JSON.parse(exchange.body) as Array<Record<string, unknown>>
          if (firstIds === undefined) {
            firstIds = details.map((detail) => detail.id)
            return undefined
          }
          // the first chunk has finished and been emitted by the time this reply arrives
          const reused = details.map((detail, i) => ({ ...detail, id: firstIds![i] }))
          return { status: exchange.status, body: JSON.stringify(reused), delayMillis: 1500 }
        },
        20,
        { chunkSize: 10, concurrency: 1 }
      )
      const failed = error(exit)
      assert.strictEqual(failed._tag, "DecodeError")
      assert.include(failed.message, `gave request id ${String(firstIds?.[0])} to input 10 and to an earlier input`)
    }))
})
