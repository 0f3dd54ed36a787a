/**
 * A page in a browser can use the emulator: its preflights are answered and its responses readable cross-origin.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as EmulatorServer from "../src/EmulatorServer.js"
import { send } from "./utils/http.js"

const token = "cors-test-token"
const page = "http://localhost:5173"
const collect = "/v2.1/projects/demo/pipelines/echo/requests/collect"

layer(EmulatorServer.layerWithEmulator({ token, port: 0 }), { excludeTestServices: true })("CORS", (it) => {
  const http = Effect.map(EmulatorServer.EmulatorServer, (server) => send(server.origin, token))

  it.effect("a preflight is answered without the token, allowing the methods and headers the client sends", () =>
    Effect.gen(function*() {
      const reply = yield* (yield* http)(collect, {
        method: "OPTIONS",
        token: null,
        headers: {
          origin: page,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type"
        }
      })
      assert.strictEqual(reply.status, 204)
      assert.strictEqual(reply.headers.get("access-control-allow-origin"), "*")
      assert.include(reply.headers.get("access-control-allow-methods"), "POST")
      assert.include(reply.headers.get("access-control-allow-methods"), "PATCH")
      assert.include(reply.headers.get("access-control-allow-headers"), "authorization")
      assert.include(reply.headers.get("access-control-allow-headers"), "content-type")
    }))

  it.effect("answers, errors included, carry the origin header and expose the rate-limit headers", () =>
    Effect.gen(function*() {
      const ok = yield* (yield* http)(collect, { headers: { origin: page }, body: "[]" })
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.headers.get("access-control-allow-origin"), "*")
      assert.include(ok.headers.get("access-control-expose-headers"), "x-ratelimit-reset")
      const refused = yield* (yield* http)(collect, { headers: { origin: page }, body: "[]", token: "wrong" })
      assert.strictEqual(refused.status, 401)
      assert.strictEqual(refused.headers.get("access-control-allow-origin"), "*")
    }))
})
