/**
 * A direct request runs as long as its pipeline timeout: the transport's own timeouts must not cut it first. Each
 * transport's default (undici's 300 s headers timeout under Node's `fetch`, the hour `NodeHttpClient` sets on every
 * request) is lowered to half a second here, so that a server answering after 1.5 s shows the failure at once.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeTransport from "../src/NodeTransport.js"
import * as Client from "../src/PipelineRequests.js"
import { PipelineRequests } from "../src/PipelineRequests.js"

const answerAfterMillis = 1500
const loweredMillis = 500
const target = { project: "demo", pipeline: "slow" }

const finalResponse = JSON.stringify({
  id: "b1f0c2de-0000-4000-8000-000000000001",
  pipeline: "slow",
  version: "v1",
  status: "completed",
  success: true,
  error_message: null,
  result: { done: true },
  pipeline_timeout: 10,
  deployment_timeout: null
})

/** A pipeline that takes 1.5 s: the direct create answers then; the stream sends its headers at once, one partial
 * output, and the final response 1.5 s later. */
const slowPipeline = Effect.acquireRelease(
  Effect.async<Server>((resume) => {
    const server = createServer((request, response) => {
      request.resume()
      if (request.url?.includes("/requests/stream")) {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.write("data:started\n\n")
        setTimeout(() => response.end(finalResponse + "\n"), answerAfterMillis)
        return
      }
      setTimeout(
        () => response.writeHead(201, { "content-type": "application/json" }).end(finalResponse),
        answerAfterMillis
      )
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

/** A dispatcher closed with the scope. */
const scopedDispatcher = <D extends Undici.Dispatcher>(make: () => D) =>
  Effect.acquireRelease(Effect.sync(make), (dispatcher) => Effect.promise(() => dispatcher.destroy()))

/** Node's `fetch` through `dispatcher`, as `FetchHttpClient.layer` uses it (with undici's defaults lowered). */
const fetchThrough = (dispatcher: Undici.Dispatcher): Layer.Layer<HttpClient.HttpClient> =>
  Layer.provide(
    FetchHttpClient.layer,
    Layer.succeed(
      FetchHttpClient.Fetch,
      (input, init) => globalThis.fetch(input, { ...init, dispatcher } as RequestInit)
    )
  )

/** What `NodeHttpClient` sets on every request (an hour of headers timeout), scaled down to `loweredMillis`. */
const hourAsLowered = (dispatcher: Undici.Dispatcher) =>
  dispatcher.compose((dispatch) => (options, handler) =>
    dispatch(
      options.headersTimeout === 60 * 60 * 1000 ? { ...options, headersTimeout: loweredMillis } : options,
      handler
    )
  )

const undiciThrough = (dispatcher: Undici.Dispatcher): Layer.Layer<HttpClient.HttpClient> =>
  Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher, Layer.succeed(NodeHttpClient.Dispatcher, dispatcher))

/** The undici error code somewhere in an error's chain of causes. */
const undiciCode = (error: unknown): string | undefined => {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && code.startsWith("UND_ERR")) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const directRequest = (host: string, transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.flatMap(PipelineRequests, (service) => service.create(target, { x: 1 }, { timeout: 10 })).pipe(
    Effect.provide(Client.layer({ token: Redacted.make("tok-transport-3c9a"), host })),
    Effect.provide(transport)
  )

const streamingRequest = (host: string, transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.flatMap(
    PipelineRequests,
    (service) => Stream.runCollect(service.createStreaming(target, { x: 1 }, { timeout: 10 }))
  ).pipe(
    Effect.map((events) => Array.from(events, (event) => event._tag)),
    Effect.provide(Client.layer({ token: Redacted.make("tok-transport-3c9a"), host })),
    Effect.provide(transport)
  )

describe("transports for long requests", () => {
  it.live("fetch: undici's headers timeout cuts a direct request; NodeTransport.layerFetch lets it finish", () =>
    Effect.gen(function*() {
      const host = yield* slowPipeline
      const lowered = { headersTimeout: loweredMillis, bodyTimeout: loweredMillis }
      const plain = yield* scopedDispatcher(() => new Undici.Agent(lowered))

      const cut = yield* Effect.flip(directRequest(host, fetchThrough(plain)))
      assert.strictEqual(cut._tag, "TransportError")
      assert.isTrue(cut._tag === "TransportError" && cut.mayHaveReachedServer)
      assert.strictEqual(undiciCode(cut), "UND_ERR_HEADERS_TIMEOUT")
      assert.include(cut.message, "UND_ERR_HEADERS_TIMEOUT: the transport's own timeout")
      assert.include(cut.message, "@ubiops-effect/core/NodeTransport", "the message says what to use instead")

      const response = yield* directRequest(host, NodeTransport.layerFetch(lowered))
      assert.strictEqual(response.status, "completed")
      assert.deepStrictEqual(response.result, { done: true })
    }).pipe(Effect.scoped))

  it.live("fetch: undici's body timeout cuts a streaming request; NodeTransport.layerFetch lets it finish", () =>
    Effect.gen(function*() {
      const host = yield* slowPipeline
      const lowered = { headersTimeout: loweredMillis, bodyTimeout: loweredMillis }
      const plain = yield* scopedDispatcher(() => new Undici.Agent(lowered))

      const cut = yield* Effect.flip(streamingRequest(host, fetchThrough(plain)))
      assert.strictEqual(cut._tag, "TransportError")
      assert.strictEqual(undiciCode(cut), "UND_ERR_BODY_TIMEOUT")
      assert.include(cut.message, "@ubiops-effect/core/NodeTransport", cut.message)

      assert.deepStrictEqual(yield* streamingRequest(host, NodeTransport.layerFetch(lowered)), ["Partial", "Final"])
    }).pipe(Effect.scoped))

  it.live("undici: NodeHttpClient's own headers timeout cuts a direct request; without it the request finishes", () =>
    Effect.gen(function*() {
      const host = yield* slowPipeline
      const agent = yield* scopedDispatcher(() => new Undici.Agent())
      const hourLowered = hourAsLowered(agent)

      const cut = yield* Effect.flip(directRequest(host, undiciThrough(hourLowered)))
      assert.strictEqual(cut._tag, "TransportError")
      assert.strictEqual(undiciCode(cut), "UND_ERR_HEADERS_TIMEOUT")

      const response = yield* directRequest(host, undiciThrough(NodeTransport.withoutTransportTimeouts(hourLowered)))
      assert.strictEqual(response.status, "completed")
    }).pipe(Effect.scoped))

  it.live("undici: NodeTransport.layerUndici carries a direct and a streaming request to the end", () =>
    Effect.gen(function*() {
      const host = yield* slowPipeline
      const transport = NodeTransport.layerUndici({ headersTimeout: loweredMillis, bodyTimeout: loweredMillis })
      assert.strictEqual((yield* directRequest(host, transport)).status, "completed")
      assert.deepStrictEqual(yield* streamingRequest(host, transport), ["Partial", "Final"])
    }).pipe(Effect.scoped))
})
