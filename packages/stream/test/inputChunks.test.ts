import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { inputChunks } from "../src/internal/inputChunks.js"

const collect = <I, E>(stream: Stream.Stream<ReadonlyArray<I>, E>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Chunk.toReadonlyArray(chunks).map((chunk) => [...chunk]))

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe("inputChunks", () => {
  it.effect("cuts an array, a generator and a stream the same way, the last chunk shorter", () =>
    Effect.gen(function*() {
      const expected = [range(4), [4, 5, 6, 7], [8, 9]]
      function* generator() {
        for (let i = 0; i < 10; i++) yield i
      }
      assert.deepStrictEqual(yield* collect(inputChunks(range(10), 4, 0)), expected)
      assert.deepStrictEqual(yield* collect(inputChunks(generator(), 4, 0)), expected)
      assert.deepStrictEqual(yield* collect(inputChunks(Stream.fromIterable(range(10)), 4, 0)), expected)
    }))

  it.effect("skips the first inputs (a resumed run), whatever their source", () =>
    Effect.gen(function*() {
      const expected = [[6, 7, 8, 9], [10]]
      assert.deepStrictEqual(yield* collect(inputChunks(range(11), 4, 6)), expected)
      assert.deepStrictEqual(yield* collect(inputChunks(Stream.range(0, 10), 4, 6)), expected)
      assert.deepStrictEqual(yield* collect(inputChunks(range(3), 4, 6)), [])
    }))

  it.effect("pulls a generator only as far as the chunks taken", () =>
    Effect.gen(function*() {
      let pulled = 0
      function* counting() {
        for (let i = 0;; i++) {
          pulled++
          yield i
        }
      }
      const first = yield* collect(Stream.take(inputChunks(counting(), 250, 0), 2))
      assert.strictEqual(first.length, 2)
      assert.strictEqual(pulled, 500)
    }))

  it.effect("an iterable that throws is a defect of the stream, as with Stream.fromIterable", () =>
    Effect.gen(function*() {
      function* broken() {
        yield 1
        throw new Error("boom")
      }
      const exit = yield* Effect.exit(collect(inputChunks(broken(), 4, 0)))
      assert.isTrue(exit._tag === "Failure")
    }))
})
