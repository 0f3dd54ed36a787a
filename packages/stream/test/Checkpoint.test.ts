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
      // `done` moves first (into the next of the two progress slots), then the keys it covers go
      assert.deepStrictEqual(log, ["set k/d/1", "remove k/c/0", "remove k/e/0"])
      assert.deepStrictEqual(yield* read(store, "k/d/1"), Option.some({ seq: 1, done: 1, complete: false }))
      // the run's record itself is written once, at the start
      assert.deepStrictEqual(
        yield* read(store, "k"),
        Option.some({
          version: 1,
          project: "demo",
          pipeline: "echo",
          pipelineVersion: null,
          chunkSize: 3,
          done: 0,
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
      // only the run's record and its two progress slots are left
      assert.strictEqual(yield* store.size, 3)
    }))

  it.effect("keeps the intents of chunks being created, and a resumed run finds them with the ids recorded", () =>
    Effect.gen(function*() {
      const { store } = yield* loggedStore
      const first = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2, concurrency: 2 })
      const intent = (at: number) => ({ first: at, last: at, offsetLow: -5, offsetHigh: 20, concurrency: 2 })
      yield* first.recordIntent(0, intent(1_000))
      yield* first.recordAccepted(0, ["a", "b"])
      yield* first.recordIntent(1, intent(1_010))
      // a second attempt at chunk 1, after its first create failed ambiguously
      yield* first.recordIntent(1, intent(1_500))
      yield* first.recordIntent(2, intent(1_020))
      yield* first.recordAccepted(2, ["e", "f"])
      // chunk 3 was not started; chunk 4 could not have been (at most 2 creates in flight, in chunk order): the
      // reading stops there
      yield* store.set("k/c/5", JSON.stringify({ ids: ["never", "read"] }))

      const second = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2, concurrency: 2 })
      assert.deepStrictEqual(second.intentOf(1), {
        first: 1_010,
        last: 1_500,
        offsetLow: -5,
        offsetHigh: 20,
        concurrency: 2
      })
      assert.isUndefined(second.intentOf(0), "chunk 0 has its ids")
      assert.deepStrictEqual([...second.recordedIds].sort(), ["a", "b", "e", "f"])

      // once chunks are done, their intents go too
      yield* second.recordAccepted(1, ["c", "d"])
      for (const n of [0, 1, 2]) {
        second.track(n, 2, undefined)
        second.markEmitted(n, 0)
        second.markEmitted(n, 1)
      }
      yield* second.commit
      for (const gone of ["k/i/0/1", "k/i/1/1", "k/i/1/2", "k/i/2/1", "k/c/0", "k/c/1", "k/c/2"]) {
        assert.isTrue(Option.isNone(yield* store.get(gone)), gone)
      }
    }))

  it.effect("writes cut short by a crash (empty values) read safely", () =>
    Effect.gen(function*() {
      const { store } = yield* loggedStore
      // the run's record cut short: the run had not sent anything, it starts afresh
      yield* store.set("k", "")
      const fresh = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2, concurrency: 1 })
      assert.isFalse(fresh.resuming)
      yield* fresh.recordIntent(0, { first: 1, last: 1, offsetLow: null, offsetHigh: null, concurrency: 1 })
      yield* fresh.recordAccepted(0, ["a", "b"])
      fresh.track(0, 2, undefined)
      fresh.markEmitted(0, 0)
      fresh.markEmitted(0, 1)
      yield* fresh.commit
      // later: a progress slot, the ids of a chunk, its emissions and an intent, each cut short
      yield* store.set("k/d/0", "")
      yield* store.set("k/i/1/1", JSON.stringify({ first: 5, last: 5, offsetLow: 0, offsetHigh: 1, concurrency: 1 }))
      yield* store.set("k/c/1", "")
      yield* store.set("k/i/2/1", "")
      const resumed = yield* Checkpoint.open({ store, key: "k" }, { target, chunkSize: 2, concurrency: 1 })
      assert.strictEqual(resumed.resumeFrom, 1, "the other progress slot holds")
      assert.isTrue(Option.isNone(yield* resumed.lookup(1)), "ids cut short: as if the create had not returned")
      assert.strictEqual(resumed.intentOf(1)?.first, 5, "so the intent applies")
      assert.isUndefined(resumed.intentOf(2), "an intent cut short was never followed by its create")
      yield* store.set("k/c/3", JSON.stringify({ ids: ["g", "h"] }))
      yield* store.set("k/e/3", "")
      const chunk3 = yield* resumed.lookup(3)
      assert.deepStrictEqual(Option.map(chunk3, (c) => c.emitted), Option.some(undefined), "emissions: none")
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
