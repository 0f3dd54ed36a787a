import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as InputFile from "../src/InputFile.js"
import { tempDirectory, writeLines } from "./utils/files.js"

describe("InputFile.parseLine", () => {
  it("takes a JSON object per line for a structured pipeline", () => {
    assert.deepStrictEqual(InputFile.parseLine("{\"n\": 1}", 0, "structured"), {
      _tag: "Valid",
      index: 0,
      data: { n: 1 }
    })
  })

  it("takes a JSON string per line for a plain pipeline", () => {
    assert.deepStrictEqual(InputFile.parseLine("\"hello\"", 3, "plain"), { _tag: "Valid", index: 3, data: "hello" })
  })

  it("says what is wrong with a line, with its line number (index + 1)", () => {
    const notJson = InputFile.parseLine("{n: 1}", 7, "structured")
    assert.strictEqual(notJson._tag, "Invalid")
    assert.match(notJson._tag === "Invalid" ? notJson.reason : "", /^line 8: not JSON \(/)

    const cases: Array<[string, InputFile.InputType, string]> = [
      ["[1, 2]", "structured", "line 1: a structured pipeline takes a JSON object per line, got an array"],
      ["42", "structured", "line 1: a structured pipeline takes a JSON object per line, got a number"],
      ["null", "structured", "line 1: a structured pipeline takes a JSON object per line, got null"],
      ["{\"n\": 1}", "plain", "line 1: a plain pipeline takes a JSON string per line, got an object"],
      [
        "\"text\"",
        "structured",
        "line 1: a structured pipeline takes a JSON object per line, got a string (is the pipeline plain? then pass " +
        "--input-type plain)"
      ]
    ]
    for (const [text, inputType, reason] of cases) {
      assert.deepStrictEqual(InputFile.parseLine(text, 0, inputType), { _tag: "Invalid", index: 0, reason })
    }
  })

  it("makes an empty or whitespace-only line blank, not an input", () => {
    assert.deepStrictEqual(InputFile.parseLine("", 2, "structured"), { _tag: "Blank", index: 2 })
    assert.deepStrictEqual(InputFile.parseLine(" \t", 2, "plain"), { _tag: "Blank", index: 2 })
  })
})

describe("InputFile.lines", () => {
  it.scoped("numbers the lines of a file from 0, with CRLF endings, a byte order mark, and no final newline", () =>
    Effect.gen(function*() {
      const path = `${yield* tempDirectory}/in.jsonl`
      yield* writeLines(path, ["\uFEFF{\"a\": 1}", "", "{\"b\": 2}", "oops"], "\r\n")
      const lines = Chunk.toReadonlyArray(yield* Stream.runCollect(InputFile.lines(path, "structured")))
      assert.deepStrictEqual(lines.map((line) => line._tag), ["Valid", "Blank", "Valid", "Invalid"])
      assert.deepStrictEqual(lines.map((line) => line.index), [0, 1, 2, 3])
      assert.deepStrictEqual(lines[0]._tag === "Valid" ? lines[0].data : undefined, { a: 1 })

      const fs = yield* FileSystem.FileSystem
      yield* fs.writeFileString(path, "{\"a\": 1}\n{\"b\": 2}")
      assert.strictEqual(yield* Stream.runCount(InputFile.lines(path, "structured")), 2)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("scans a file once: counts, and the first invalid lines", () =>
    Effect.gen(function*() {
      const path = `${yield* tempDirectory}/in.jsonl`
      const lines = Array.from({ length: 100 }, (_, n) => n % 10 === 3 ? "not json" : n % 10 === 5 ? "" : `{"n":${n}}`)
      yield* writeLines(path, lines)
      const scan = yield* InputFile.scan(path, "structured", 3)
      assert.strictEqual(scan.lines, 100)
      assert.strictEqual(scan.valid, 80)
      assert.strictEqual(scan.blank, 10)
      assert.strictEqual(scan.invalid, 10)
      assert.deepStrictEqual(scan.firstInvalid.map((line) => line.index), [3, 13, 23])
    }).pipe(Effect.provide(NodeContext.layer)))
})
