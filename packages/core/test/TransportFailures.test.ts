import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Client from "../src/PipelineRequests.js"
import { PipelineRequests } from "../src/PipelineRequests.js"
import type * as RetryPolicy from "../src/RetryPolicy.js"
import type { TransportError } from "../src/UbiOpsError.js"
import * as Hostile from "./utils/HostileServer.js"

const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"

/** Calls `get` once through `transport` with the client's default retry policy; how many attempts went out, how
 * long it took, and how it failed. */
const getFrom = (
  transport: (typeof Hostile.transports)[number][1],
  host: string,
  options: Partial<Client.ClientOptions> = {}
) =>
  Effect.gen(function*() {
    let attempts = 0
    const started = Date.now()
    const exit = yield* Effect.flatMap(PipelineRequests, (service) => service.get(target, id)).pipe(
      Effect.provide(Client.layer({
        token: Redacted.make("4f1c9e0a7b2d6e3f8a5c1b9d0e7f2a6c4b8d3e1f"),
        host,
        transformClient: HttpClient.tapRequest(() => Effect.sync(() => attempts++)),
        ...options
      })),
      Effect.provide(transport),
      Effect.exit
    )
    assert.isTrue(Exit.isFailure(exit), "the call failed")
    const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as TransportError
    return { attempts, millis: Date.now() - started, error }
  })

describe.each(Hostile.transports)("failures that waiting cannot mend, through %s", (_, transport) => {
  it.live("an unknown host fails at once, labelled, without a retry", () =>
    Effect.gen(function*() {
      const { attempts, error, millis } = yield* getFrom(transport, "http://nonexistent.invalid")
      assert.deepInclude(error, { _tag: "TransportError", failure: "unknown-host", mayHaveReachedServer: false })
      assert.include(error.message, "the host name does not resolve")
      assert.include(error.message, "the request did not reach the server")
      assert.strictEqual(attempts, 1)
      assert.isBelow(millis, 5_000)
    }))

  it.live("https to a plain http server fails at once as a TLS failure that did not reach the server", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* Hostile.start((_, response) => Hostile.json(response, 200, {}))
      const { attempts, error } = yield* getFrom(transport, server.url.replace("http:", "https:"))
      assert.deepInclude(error, { _tag: "TransportError", failure: "tls", mayHaveReachedServer: false })
      assert.include(error.message, "TLS handshake failed")
      assert.notInclude(error.message, "may have received")
      assert.strictEqual(attempts, 1)
      assert.strictEqual(server.seen.length, 0, "no HTTP request reached the server")
    })))

  it.live("a refused connection is retried (the server may be starting), then fails saying so", () =>
    Effect.gen(function*() {
      const port = yield* Hostile.closedPort
      const started = Date.now()
      const events: Array<RetryPolicy.RetryEvent & { readonly at: number }> = []
      const { attempts, error, millis } = yield* getFrom(transport, `http://127.0.0.1:${port}`, {
        retry: { maxRetries: 2, baseDelay: "20 millis" },
        onRetry: (event) => Effect.sync(() => events.push({ ...event, at: Date.now() - started }))
      })
      assert.deepInclude(error, { _tag: "TransportError", failure: "refused", mayHaveReachedServer: false })
      assert.include(error.message, "could not connect")
      assert.include(error.reason, "ECONNREFUSED")
      assert.strictEqual(attempts, 3)
      assert.isBelow(millis, 5_000)
      // what the call waits for is known at the first retry, not when it gives up
      assert.deepStrictEqual(events.map((event) => [event.operation, event.retry, event.reason]), [
        ["pipelineRequestsGet", 1, "could not connect (ECONNREFUSED)"],
        ["pipelineRequestsGet", 2, "could not connect (ECONNREFUSED)"]
      ])
      assert.isBelow(events[0].at, 1_000)
    }))

  it.live("a server that never answers is bounded by the call's deadline, and says so", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* Hostile.start(() => {
        // never answers
      })
      const { error, millis } = yield* getFrom(transport, server.url, {
        attemptTimeout: "200 millis",
        callTimeout: "700 millis",
        retry: { baseDelay: "10 millis" }
      })
      assert.strictEqual(error._tag as string, "Timeout")
      assert.include(error.message, "timed out after 700 ms (call deadline)")
      assert.isBelow(millis, 2_000)
    })))
})
