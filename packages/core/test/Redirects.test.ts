import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"

const token = "tok-redirect-7d1e"

const listen = (handler: Parameters<typeof createServer>[1]) =>
  Effect.acquireRelease(
    Effect.async<Server>((resume) => {
      const server = createServer(handler)
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed(server))
      })
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["fetch", FetchHttpClient.layer],
  ["undici", NodeHttpClient.layerUndici]
]

describe("redirects", () => {
  for (const [name, transport] of transports) {
    it.live(`are not followed, so the token never reaches another origin (${name})`, () =>
      Effect.gen(function*() {
        const seenByOther: Array<IncomingHttpHeaders> = []
        const other = yield* listen((request, response) => {
          seenByOther.push(request.headers)
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
        const api = yield* listen((_, response) => {
          response.writeHead(307, { location: `${other}/v2.1/stolen` }).end()
        })
        const error = yield* Effect.flip(
          Effect.flatMap(PipelineRequests, (s) => s.get({ project: "p", pipeline: "q" }, "abc")).pipe(
            Effect.provide(Client.layer({ token: Redacted.make(token), host: api })),
            Effect.provide(transport)
          )
        )
        assert.strictEqual(seenByOther.length, 0)
        assert.deepInclude(error, { _tag: "BadRequest", status: 307 })
        assert.include(error.message, `redirected to ${other}/v2.1/stolen`)
      }).pipe(Effect.scoped))
  }
})
