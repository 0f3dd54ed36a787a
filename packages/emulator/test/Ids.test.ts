/**
 * Request ids: random-looking UUIDs (a keyed permutation of the sequence number), parsed back instead of
 * stored. A person copies the first characters of an id from a UI and searches with them: that finds one
 * request, not every request of the run.
 */
import { assert, layer } from "@effect/vitest"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { makeIdScheme, requestIndex } from "../src/internal/ids.js"

const echo = { project: "demo", pipeline: "echo" }
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const count = 3000

/** Creates `count` echo requests and waits until they have completed. */
const created = Effect.gen(function*() {
  const client = yield* PipelineRequests
  const ids: Array<string> = []
  for (let sent = 0; sent < count; sent += 250) {
    const batch = yield* client.createBatch(echo, Array.from({ length: 250 }, (_, n) => ({ n: sent + n })))
    for (const item of batch) ids.push(item.id)
  }
  while ((yield* Emulator.stats).statuses.completed < count) yield* Effect.yieldNow()
  return ids
}).pipe(Effect.cached, Effect.runSync)

layer(Emulator.layerPipelineRequests())("request ids", (it) => {
  it.effect("every id is a version-4 UUID, and they share no prefix of 13 characters", () =>
    Effect.gen(function*() {
      const ids = yield* created
      for (const id of ids) assert.match(id, uuidV4)
      assert.strictEqual(new Set(ids.map((id) => id.slice(0, 13))).size, count)
    }))

  it.effect("search_id with the first 13 characters of an id lists that request alone", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const ids = yield* created
      for (const id of [ids[0], ids[1], ids[1234], ids[count - 1]]) {
        const found = yield* client.list(echo, { searchId: id.slice(0, 13) })
        assert.deepStrictEqual(found.map((item) => item.id), [id])
      }
    }))

  it.effect("a foreign, garbage or object-request id is NotFound, not a crash", () =>
    Effect.gen(function*() {
      const client = yield* PipelineRequests
      const { engine } = yield* Emulator.Emulator
      const ids = yield* created
      const foreign = makeIdScheme().format(1, requestIndex)
      const flipped = ids[7].slice(0, 35) + (ids[7][35] === "0" ? "1" : "0")
      for (const id of [foreign, flipped, "00000000-0000-4000-8000-000000000000", "garbage", ""]) {
        const error = yield* Effect.flip(engine.get(echo, id))
        assert.strictEqual(error.status, 404, id)
      }
      assert.strictEqual((yield* Effect.flip(client.get(echo, foreign)))._tag, "NotFound")
      const [detail] = yield* client.collect(echo, [ids[7]])
      const objectId = detail.deployment_requests[0].id
      assert.match(objectId, uuidV4)
      assert.strictEqual((yield* Effect.flip(engine.get(echo, objectId))).status, 404)
    }))

  it.effect("the scheme parses back the sequence number and object index; another key's ids parse to nothing", () =>
    Effect.sync(() => {
      const scheme = makeIdScheme()
      const other = makeIdScheme()
      for (const [seq, index] of [[1, requestIndex], [2, 0], [0, 5], [2 ** 48 - 1, 4095], [123_456_789_012, 7]]) {
        const id = scheme.format(seq, index)
        assert.match(id, uuidV4)
        assert.deepStrictEqual(scheme.parse(id), { seq, index })
        assert.isUndefined(other.parse(id))
      }
    }))
})
