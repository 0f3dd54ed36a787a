import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import * as RetryBudget from "../src/RetryBudget.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"
const batchItem = { id, status: "pending", time_created: "2024-01-01T00:00:00Z" }

const withClient = (client: Partial<Client.ClientOptions>, answer: Scripted.Reply = { status: 200, json: [] }) => {
  const server = Scripted.make(() => answer)
  const provide = <A, E>(effect: Effect.Effect<A, E, PipelineRequests>) =>
    effect.pipe(
      Effect.provide(Client.layer({ token: Redacted.make("t"), host: "http://127.0.0.1:9", ...client })),
      Effect.provide(server.layer)
    )
  return { server, provide }
}

describe("options", () => {
  it.effect("an invalid per-call option is an InvalidRequest naming it, nothing sent, nothing thrown", () =>
    Effect.gen(function*() {
      const { provide, server } = withClient({})
      const error = yield* provide(
        Effect.flip(Effect.flatMap(PipelineRequests, (s) => s.get(target, id, { attemptTimeout: "soon" as any })))
      )
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "attemptTimeout")
      const negative = yield* provide(
        Effect.flip(Effect.flatMap(PipelineRequests, (s) => s.get(target, id, { retry: { maxRetries: -1 } })))
      )
      assert.include(negative.message, "retry.maxRetries")
      assert.strictEqual(server.seen.length, 0)
    }))

  it.effect("an invalid client option makes each call an InvalidRequest naming it (the stream too)", () =>
    Effect.gen(function*() {
      const { provide, server } = withClient({ callTimeout: "later" as any })
      const error = yield* provide(Effect.flip(Effect.flatMap(PipelineRequests, (s) => s.list(target))))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "callTimeout")
      const streamed = yield* provide(
        Effect.flip(Effect.flatMap(PipelineRequests, (s) => Stream.runDrain(s.createStreaming(target, { a: 1 }))))
      )
      assert.strictEqual(streamed._tag, "InvalidRequest")
      assert.strictEqual(server.seen.length, 0)
    }))

  it.effect("a host no request can go to, or a token a header cannot carry, fails each call at once, unsent", () =>
    Effect.gen(function*() {
      const secret = "s3cr3t-t0ken"
      for (
        const [client, reason] of [
          [{ host: "ftp://files.example/v2.1" }, "host must be an http or https URL"],
          [{ host: "http://127.0.0.1:9/v2.1?debug=1" }, "query string"],
          [{ token: Redacted.make("") }, "the API token is empty"],
          [{ token: Redacted.make("Token ") }, "the API token is empty"],
          [{ token: Redacted.make(`${secret}\nX-Evil: 1`) }, "that an HTTP header cannot carry"],
          [{ token: Redacted.make(`${secret}\u00e9`) }, "that an HTTP header cannot carry"]
        ] as const
      ) {
        const { provide, server } = withClient(client)
        const error = yield* provide(Effect.flip(Effect.flatMap(PipelineRequests, (s) => s.get(target, id))))
        assert.strictEqual(error._tag, "InvalidRequest", reason)
        assert.include(error.message, reason)
        assert.notInclude(error.message, secret)
        assert.strictEqual(server.seen.length, 0)
      }
    }))

  it.effect("a batch create that returns the wrong count names the versioned path it called", () =>
    Effect.gen(function*() {
      const { provide } = withClient({}, { status: 201, json: [batchItem] })
      const error = yield* provide(
        Effect.flip(
          Effect.flatMap(PipelineRequests, (s) => s.createBatch({ ...target, version: "v1" }, [{ a: 1 }, { a: 2 }]))
        )
      )
      assert.deepInclude(error, {
        _tag: "DecodeError",
        operation: "batchPipelineVersionRequestsCreate",
        path: "/v2.1/projects/demo/pipelines/echo/versions/v1/requests/batch"
      })
    }))

  it.effect("the service exposes the client's retry budget", () =>
    Effect.gen(function*() {
      const { provide } = withClient({ retryBudget: { capacity: 7 } })
      const available = yield* provide(Effect.flatMap(Client.retryBudget, (budget) => budget.available))
      assert.strictEqual(available, 7)
      const unlimited = yield* withClient({ retryBudget: false }).provide(Client.retryBudget)
      assert.strictEqual(unlimited, RetryBudget.unlimited)
    }))
})
