/**
 * Pipelines from a JSON file.
 */
import { assert, describe, it } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as Path from "node:path"
import * as ConfigFile from "../src/ConfigFile.js"
import * as Emulator from "../src/Emulator.js"

describe("ConfigFile", () => {
  it.effect("the committed example loads, and its pipelines behave as described", () =>
    Effect.gen(function*() {
      const projects = yield* ConfigFile.load(Path.resolve(__dirname, "../compat/pipelines.json"))
      const run = Effect.gen(function*() {
        const client = yield* PipelineRequests
        const constant = yield* client.create({ project: "compat", pipeline: "odd names", version: "v 2/x" }, { a: 1 })
        assert.deepStrictEqual(constant.result, { version: 2 })
        const fiber = yield* Effect.fork(client.create({ project: "compat", pipeline: "failing" }, { a: 1 }))
        yield* TestClock.adjust("200 millis")
        const failed = yield* Fiber.join(fiber)
        assert.strictEqual(failed.status, "failed")
        assert.strictEqual(failed.deployment_requests[0].error_message, "Invalid message format")
        assert.strictEqual(failed.operator_requests[0].status, "completed")
      })
      yield* Effect.provide(run, Emulator.layerPipelineRequests({ projects }))
    }))

  it("explains what is wrong with a file", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ projects: [{ name: "p", pipelines: [{ name: "x", objects: [{ kind: "robot", name: "r" }] }] }] }, /kind/],
      [{ projects: [{ name: "p", pipelines: [{ name: "x", workers: 0 }] }] }, /workers|greater/],
      [{ projects: [{ name: "p", pipelines: [{ name: "x" }, { name: "x" }] }] }, /defined twice/],
      [{
        projects: [{ name: "p", pipelines: [{ name: "x", objects: [{ kind: "pipeline", name: "s", pipeline: "y" }] }] }]
      }, /not a pipeline/],
      [{
        projects: [{ name: "p", pipelines: [{ name: "x", objects: [{ kind: "pipeline", name: "s", pipeline: "x" }] }] }]
      }, /contains itself/],
      [{ projects: [{ name: "p", pipelines: [{ name: "x", defaultVersion: "v9" }] }] }, /default version/],
      [{ projects: [{ name: "p", pipelines: [{ name: "x", colour: "red" }] }] }, /colour/]
    ]
    for (const [json, reason] of cases) {
      const parsed = ConfigFile.parse(json)
      assert.isTrue(Either.isLeft(parsed), JSON.stringify(json))
      if (Either.isLeft(parsed)) assert.match(parsed.left, reason)
    }
  })

  it.effect("a missing or malformed file is a ConfigFileError naming the file", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(ConfigFile.load("/no/such/file.json"))
      assert.include(missing.message, "/no/such/file.json")
      const notJson = yield* Effect.flip(ConfigFile.load(Path.resolve(__dirname, "Command.test.ts")))
      assert.include(notJson.message, "not JSON")
    }))
})
