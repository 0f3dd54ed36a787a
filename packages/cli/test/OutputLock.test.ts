import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Exit, Scope } from "effect"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import * as OutputLock from "../src/OutputLock.js"
import { tempDirectory } from "./utils/files.js"

const holder = (pid: number) => JSON.stringify({ pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" })

/** The id of a process that has ended. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid

describe("OutputLock", () => {
  it.live("a lock held by a live process refuses, naming it; a dead one's is taken over by exactly one of two", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDirectory
      const output = `${directory}/out.jsonl`
      const checkpoint = `${output}.checkpoint`
      yield* fs.makeDirectory(checkpoint)

      yield* fs.writeFileString(`${checkpoint}/lock`, holder(process.ppid))
      const refused = yield* Effect.flip(Effect.scoped(OutputLock.acquire(output, checkpoint)))
      assert.strictEqual(refused._tag, "OutputConflict")
      assert.include(refused.message, `process ${process.ppid} on ${hostname()}`)

      yield* fs.writeFileString(`${checkpoint}/lock`, holder(deadPid()))
      const scopes = [yield* Scope.make(), yield* Scope.make()]
      const taken = yield* Effect.all(
        scopes.map((scope) => Effect.either(Scope.extend(OutputLock.acquire(output, checkpoint), scope))),
        { concurrency: 2 }
      )
      assert.strictEqual(taken.filter(Either.isRight).length, 1, "one run takes it over, the other is refused")
      assert.include(yield* fs.readFileString(`${checkpoint}/lock`), `"pid":${process.pid}`)
      for (const scope of scopes) yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* fs.exists(`${checkpoint}/lock`), "removed by the run that held it")
      yield* Effect.scoped(OutputLock.acquire(output, checkpoint))
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})
