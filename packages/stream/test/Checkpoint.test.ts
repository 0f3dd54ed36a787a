import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import * as Checkpoint from "../src/Checkpoint.js"

const target = { project: "demo", pipeline: "echo" }

/** A memory store that logs every write and removal. */
const loggedStore = Effect.gen(function*() {
  const store = yield* KeyValueStore.KeyValueStore
  const log: Array<string> = []
  const logged: KeyValueStore.KeyValueStore = {
    ...store,
    set: (key, value) => Effect.zipRight(Effect.sync(() => log.push(`set ${key}`)), store.set(key, value)),
    remove: (key) => Effect.zipRight(Effect.sync(() => log.push(`remove ${key}`)), store.remove(key))
  }
  return { store: logged, log }
}).pipe(Effect.provide(KeyValueStore.layerMemory))

const read = (store: KeyValueStore.KeyValueStore, key: string) =>
  Effect.map(store.get(key), (value) => Option.map(value, (text) => JSON.parse(text) as unknown))

describe("Checkpoint", () => {
  it.effect("records accepted chunks, emissions, and forgets chunks once all their results were emitted", () =>
    Effect.gen(function*() {
      const { log, store } = yield* loggedStore
      const checkpoint = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 3 })
      assert.isFalse(checkpoint.resuming)
      yield* checkpoint.recordAccepted(0, ["a", "b", "c"])
      yield* checkpoint.recordAccepted(1, ["d", "e", "f"])
      checkpoint.track(0, 3, undefined)
      checkpoint.track(1, 3, undefined)
      checkpoint.markEmitted(1, 2)
      checkpoint.markEmitted(0, 0)
      checkpoint.markEmitted(0, 2)
      log.length = 0
      yield* checkpoint.commit
      assert.deepStrictEqual(log.sort(), ["set k/e/0", "set k/e/1"])
      assert.deepStrictEqual(yield* store.get("k/e/0"), Option.some("101"))

      checkpoint.markEmitted(0, 1)
      log.length = 0
      yield* checkpoint.commit
      // `done` moves first, then the keys it covers go
      assert.deepStrictEqual(log, ["set k", "remove k/c/0", "remove k/e/0"])
      assert.deepStrictEqual(
        yield* read(store, "k"),
        Option.some({
          version: 1,
          project: "demo",
          pipeline: "echo",
          pipelineVersion: null,
          chunkSize: 3,
          done: 1,
          complete: false
        })
      )
      log.length = 0
      yield* checkpoint.commit
      assert.deepStrictEqual(log, [])
    }))

  it.effect("gives a resumed run what the previous one recorded", () =>
    Effect.gen(function*() {
      const { store } = yield* loggedStore
      const first = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2 })
      yield* first.recordAccepted(0, ["a", "b"])
      yield* first.recordAccepted(1, ["c", "d"])
      yield* first.recordAccepted(2, ["e", "f"])
      first.track(0, 2, undefined)
      first.track(1, 2, undefined)
      first.track(2, 2, undefined)
      first.markEmitted(0, 0)
      first.markEmitted(0, 1)
      first.markEmitted(2, 1)
      yield* first.commit

      const second = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2 })
      assert.isTrue(second.resuming)
      assert.strictEqual(second.resumeFrom, 1)
      assert.isFalse(second.complete)
      const chunk1 = yield* second.lookup(1)
      assert.deepStrictEqual(Option.map(chunk1, (c) => [c.ids, c.emitted]), Option.some([["c", "d"], undefined]))
      const chunk2 = yield* second.lookup(2)
      assert.deepStrictEqual(Option.map(chunk2, (c) => Array.from(c.emitted ?? [])), Option.some([0, 1]))
      assert.isTrue(Option.isNone(yield* second.lookup(3)))

      second.track(1, 2, undefined)
      second.track(2, 2, Option.getOrThrow(chunk2).emitted)
      second.markEmitted(1, 0)
      second.markEmitted(1, 1)
      second.markEmitted(2, 0)
      yield* second.finish
      const third = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2 })
      assert.isTrue(third.complete)
      assert.strictEqual(third.resumeFrom, 3)
      assert.strictEqual(yield* store.size, 1)
    }))

  it.effect("refuses a checkpoint of another pipeline or chunk size, or one it cannot read", () =>
    Effect.gen(function*() {
      const { store } = yield* loggedStore
      yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 250 })
      const other = yield* Effect.exit(
        Checkpoint.open({ store, key: "k" }, { target: { ...target, pipeline: "x" }, chunkSize: 250 })
      )
      assert.isTrue(Exit.isFailure(other))
      const size = yield* Effect.flip(Checkpoint.open({ store, key: "k" }, { target, chunkSize: 100 }))
      assert.include(size.message, "chunks of 250")
      yield* store.set("bad", "{not json")
      const bad = yield* Effect.flip(Checkpoint.open({ store, key: "bad" }, { target, chunkSize: 250 }))
      assert.strictEqual(bad._tag, "CheckpointError")
    }))
})
