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

describe("InputFile: a line is sent exactly as written, or it is invalid", () => {
  const reasonOf = (text: string) => {
    const line = InputFile.parseLine(text, 4, "structured")
    return line._tag === "Invalid" ? line.reason : undefined
  }

  it("refuses numbers that JSON.parse would change, and says how", () => {
    assert.strictEqual(
      reasonOf("{\"x\": 1e400}"),
      "line 5: the number 1e400 is beyond the range of a double and would be sent as null"
    )
    assert.strictEqual(
      reasonOf("{\"x\": [-2E+999]}"),
      "line 5: the number -2E+999 is beyond the range of a double and would be sent as null"
    )
    assert.strictEqual(
      reasonOf("{\"x\": 1.5e-400}"),
      "line 5: the number 1.5e-400 is too small for a double and would be sent as 0"
    )
    assert.strictEqual(
      reasonOf("{\"id\": 9007199254740993}"),
      "line 5: the integer 9007199254740993 is beyond 2^53 and would be sent rounded (as 9007199254740992): write " +
        "it as a string"
    )
    assert.match(reasonOf("{\"a\": {\"b\": -123456789012345678901234567890}}") ?? "", /the integer -1234567890/)
  })

  it("takes numbers that survive, and digits or exponents inside strings", () => {
    for (
      const text of [
        "{\"x\": 1e300, \"y\": 0e-999, \"z\": 9007199254740991, \"w\": -9007199254740992, \"v\": 1.5E3}",
        "{\"big\": \"12345678901234567890123\", \"e\": \"1e400\", \"q\": \"say \\\"1e999\\\"\"}",
        "{\"x\": 0.1234567890123456789}",
        "{\"x\": 18014398509481984}"
      ]
    ) {
      const line = InputFile.parseLine(text, 0, "structured")
      assert.strictEqual(line._tag, "Valid", text)
      assert.deepStrictEqual(line._tag === "Valid" ? line.data : undefined, JSON.parse(text))
    }
  })

  it("refuses nesting deeper than 1,000 levels, at any length, and takes 1,000", () => {
    const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`
    assert.strictEqual(reasonOf(nested(1_001)), "line 5: nested deeper than 1,000 levels")
    assert.strictEqual(reasonOf(nested(200_000)), "line 5: nested deeper than 1,000 levels")
    assert.strictEqual(InputFile.parseLine(nested(1_000), 0, "structured")._tag, "Valid")
    // brackets inside strings do not count
    assert.strictEqual(InputFile.parseLine(`{"a":"${"[".repeat(5_000)}"}`, 0, "structured")._tag, "Valid")
  })

  it("escapes control characters of a line in its reason, so that printing it cannot drive the terminal", () => {
    const reason = reasonOf("\u001b[31mred\u0007\u009b\u202e") ?? ""
    assert.match(reason, /^line 5: not JSON \(/)
    assert.notMatch(reason, /[\u0000-\u001f\u007f-\u009f\u202e]/)
    assert.include(reason, "\\u001b")
  })

  it.scoped("makes a line that is not UTF-8 invalid, keeps the other lines, whatever the chunk boundaries", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = `${yield* tempDirectory}/in.jsonl`
      const encoder = new TextEncoder()
      const good = (n: number) => encoder.encode(`{"text":"héllo ✓ ${n}"}\r\n`)
      const parts: Array<Uint8Array> = []
      for (let n = 0; n < 5_000; n++) {
        parts.push(
          n === 1_234 ?
            Uint8Array.from([...encoder.encode("{\"text\":\"caf"), 0xe9, ...encoder.encode("\"}\n")]) :
            n === 4_321 ?
            Uint8Array.from([...encoder.encode("{\"t\":\""), 0xed, 0xa0, 0x80, ...encoder.encode("\"}\n")]) :
            good(n)
        )
      }
      const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
      parts.reduce((offset, part) => (bytes.set(part, offset), offset + part.length), 0)
      yield* fs.writeFile(path, bytes)

      const lines = Chunk.toReadonlyArray(yield* Stream.runCollect(InputFile.lines(path, "structured")))
      assert.strictEqual(lines.length, 5_000)
      const invalid = lines.filter((line) => line._tag === "Invalid")
      assert.deepStrictEqual(invalid.map((line) => line.index), [1_234, 4_321])
      assert.strictEqual(
        invalid[0]._tag === "Invalid" ? invalid[0].reason : "",
        "line 1235: not UTF-8 text (byte 13 of the line): it would be sent altered, with U+FFFD in place of its bytes"
      )
      assert.deepStrictEqual(lines[4_999]._tag === "Valid" ? lines[4_999].data : undefined, { text: "héllo ✓ 4999" })

      const scan = yield* InputFile.scan(path, "structured")
      assert.deepStrictEqual([scan.lines, scan.valid, scan.invalid], [5_000, 4_998, 2])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("keeps a byte order mark in the middle of the file as a character of its line", () =>
    Effect.gen(function*() {
      const path = `${yield* tempDirectory}/in.jsonl`
      yield* writeLines(path, ["\uFEFF\"a\"", "\"\uFEFFb\""])
      const lines = Chunk.toReadonlyArray(yield* Stream.runCollect(InputFile.lines(path, "plain")))
      assert.deepStrictEqual(lines.map((line) => line._tag === "Valid" ? line.data : line._tag), ["a", "\uFEFFb"])
    }).pipe(Effect.provide(NodeContext.layer)))
})
