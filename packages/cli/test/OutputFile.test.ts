import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as OutputFile from "../src/OutputFile.js"
import { tempDirectory } from "./utils/files.js"

const line = (index: number, status: OutputFile.Status = "completed"): OutputFile.OutputLine => ({
  index,
  requestId: status === "invalid" ? null : `id-${index}`,
  status,
  result: status === "completed" ? { n: index } : null,
  error: status === "completed" ? null : "why"
})

describe("OutputFile", () => {
  it("formats one JSON line per result, with its fields in a fixed order", () => {
    assert.strictEqual(
      OutputFile.format(line(0)),
      "{\"index\":0,\"requestId\":\"id-0\",\"status\":\"completed\",\"result\":{\"n\":0},\"error\":null}\n"
    )
  })

  it.scoped("appends lines and reads back which indices an earlier run wrote", () =>
    Effect.gen(function*() {
      const path = `${yield* tempDirectory}/out.jsonl`
      const append = yield* OutputFile.appender(path)
      yield* append([line(4), line(0, "failed")])
      yield* append([line(2, "invalid")])
      const recovered = yield* OutputFile.recover(path, 10)
      assert.deepStrictEqual([0, 1, 2, 3, 4].map((i) => recovered.written.has(i)), [true, false, true, false, true])
      assert.deepStrictEqual(recovered.counts, {
        completed: 1,
        failed: 1,
        cancelled: 0,
        gone: 0,
        unconfirmed: 0,
        invalid: 1
      })
      assert.strictEqual(recovered.truncatedBytes, 0)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("cuts off an unfinished last line (a crash while writing it), which then counts as not written", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = `${yield* tempDirectory}/out.jsonl`
      const partial = "{\"index\":7,\"requestId\":\"id-7\",\"sta"
      yield* fs.writeFileString(path, OutputFile.format(line(3)) + partial)
      const recovered = yield* OutputFile.recover(path, 10)
      assert.strictEqual(recovered.truncatedBytes, partial.length)
      assert.isTrue(recovered.written.has(3))
      assert.isFalse(recovered.written.has(7))
      assert.strictEqual(yield* fs.readFileString(path), OutputFile.format(line(3)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("treats a missing file as empty", () =>
    Effect.gen(function*() {
      const recovered = yield* OutputFile.recover(`${yield* tempDirectory}/none.jsonl`, 3)
      assert.strictEqual(recovered.written.size, 0)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("refuses a file that is not the output of this input", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = `${yield* tempDirectory}/out.jsonl`
      for (const content of ["hello\n", "{\"index\": 12, \"status\": \"completed\"}\n", "{\"index\": 1}\n"]) {
        yield* fs.writeFileString(path, content)
        const exit = yield* Effect.exit(OutputFile.recover(path, 10))
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) ? exit.cause : undefined
        assert.include(String(error), "is not a result of a batch run of this input")
      }
      yield* fs.writeFileString(path, "\u001b]0;title\u0007\u001b[2J\n")
      const exit = yield* Effect.exit(OutputFile.recover(path, 10))
      const message = Exit.isFailure(exit) ? String(exit.cause) : ""
      assert.include(message, "(\\u001b]0;title\\u0007\\u001b[2J)", "its control characters escaped")
      assert.notMatch(message, /[\u0000-\u0009\u000b-\u001f]/)
    }).pipe(Effect.provide(NodeContext.layer)))
})
