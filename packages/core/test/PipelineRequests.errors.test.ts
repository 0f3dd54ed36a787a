import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import type { UbiOpsError } from "../src/UbiOpsError.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const token = "secret-token-123"
const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"

const failureOf = <A>(exit: Exit.Exit<A, UbiOpsError>): UbiOpsError => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  assert.isTrue(Option.isSome(failure), `expected a typed failure, got ${Exit.isFailure(exit) ? exit.cause : ""}`)
  return Option.getOrThrow(failure)
}

const run = <A>(
  answer: (request: Scripted.Seen, index: number) => Scripted.Reply,
  use: (service: Client.Service) => Effect.Effect<A, UbiOpsError>
) => {
  const server = Scripted.make(answer)
  return Effect.gen(function*() {
    const service = yield* PipelineRequests
    const exit = yield* Effect.exit(use(service))
    return { exit, seen: server.seen }
  }).pipe(
    Effect.provide(
      Client.layer({ token: Redacted.make(token), host: "http://127.0.0.1:9", retry: { maxRetries: 0 } })
    ),
    Effect.provide(server.layer)
  )
}

describe("client-side validation: a typed error and nothing sent", () => {
  const never = (): Scripted.Reply => ({ status: 500, json: { error: "should not be called" } })
  it.effect("the body limit counts UTF-8 bytes, not characters", () =>
    Effect.gen(function*() {
      const server = Scripted.make(() => ({ status: 201, json: { id, status: "completed" } }))
      const send = (text: string) =>
        Effect.flatMap(PipelineRequests, (s) => Effect.exit(s.create(target, text))).pipe(
          Effect.provide(
            Client.layer({ token: Redacted.make(token), host: "http://127.0.0.1:9", maxPayloadBytes: 100 })
          ),
          Effect.provide(server.layer)
        )
      assert.isTrue(Exit.isSuccess(yield* send("a".repeat(100))))
      assert.isTrue(Exit.isSuccess(yield* send("é".repeat(50))))
      assert.strictEqual(failureOf(yield* send("é".repeat(51)))._tag, "InvalidRequest")
      assert.strictEqual(failureOf(yield* send("😀".repeat(26)))._tag, "InvalidRequest")
      assert.isTrue(Exit.isSuccess(yield* send("😀".repeat(25))))
      assert.strictEqual(server.seen.length, 3)
    }))

  it.effect("collect and createBatch of nothing succeed without a call", () =>
    Effect.gen(function*() {
      const { exit, seen } = yield* run(never, (s) => Effect.zip(s.collect(target, []), s.createBatch(target, [])))
      assert.deepStrictEqual(exit, Exit.succeed([[], []] as const))
      assert.strictEqual(seen.length, 0)
    }))
})

describe("responses become typed errors", () => {
  const statuses: ReadonlyArray<readonly [number, UbiOpsError["_tag"]]> = [
    [400, "BadRequest"],
    [401, "Unauthorized"],
    [403, "Forbidden"],
    [404, "NotFound"],
    [409, "BadRequest"],
    [429, "RateLimited"],
    [500, "ServerError"],
    [503, "ServerError"]
  ]
  for (const [status, tag] of statuses) {
    it.effect(`${status} is ${tag}, naming operation, method, path, status and the server's message`, () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () => ({ status, json: { error: `message for ${status}` }, headers: { "x-ratelimit-reset": "500" } }),
          (s) => s.get(target, id)
        )
        const error = failureOf(exit)
        assert.strictEqual(error._tag, tag)
        assert.deepInclude(error, {
          operation: "pipelineRequestsGet",
          method: "GET",
          path: `/v2.1/projects/demo/pipelines/echo/requests/${id}`,
          status,
          serverMessage: `message for ${status}`
        })
        assert.include(error.message, `message for ${status}`)
        assert.include(error.message, "pipelineRequestsGet")
        assert.notInclude(error.message, token)
      }))
  }

  it.effect("reads error_message when there is no error field", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(
        () => ({ status: 400, json: { error_message: "bad input" } }),
        (s) => s.get(target, id)
      )
      assert.deepInclude(failureOf(exit), { _tag: "BadRequest", serverMessage: "bad input" })
    }))

  it.effect("an HTML 502 page is a ServerError with an excerpt of the page", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(
        () => ({ status: 502, text: "<html><body><h1>502 Bad Gateway</h1></body></html>" }),
        (s) => s.get(target, id)
      )
      const error = failureOf(exit)
      assert.strictEqual(error._tag, "ServerError")
      assert.match(error.message, /502 Bad Gateway/)
    }))

  const malformed: ReadonlyArray<readonly [string, Scripted.Reply, RegExp]> = [
    ["truncated JSON", { status: 200, text: "{\"id\": \"abc\", \"sta" }, /not valid JSON/],
    ["an empty 200 body", { status: 200, text: "" }, /empty/],
    ["a wrong field type", { status: 200, json: { id: 42, status: "completed", time_created: "x" } }, /id/],
    ["a missing status", { status: 200, json: { id: "a", time_created: "x" } }, /status/]
  ]
  for (const [name, reply, issue] of malformed) {
    it.effect(`${name} is a DecodeError with an excerpt of the body`, () =>
      Effect.gen(function*() {
        const { exit } = yield* run(() => reply, (s) => s.get(target, id))
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "DecodeError")
        if (error._tag === "DecodeError") {
          assert.match(error.issue, issue)
          assert.strictEqual(error.operation, "pipelineRequestsGet")
        }
      }))
  }

  it.effect("a 200 with an object where a list is due is a DecodeError", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(() => ({ status: 200, json: { id: "x" } }), (s) => s.collect(target, [id]))
      assert.strictEqual(failureOf(exit)._tag, "DecodeError")
    }))

  it.effect("a refused connection is a TransportError that did not reach the server", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(() => ({ refuse: true }), (s) => s.get(target, id))
      assert.deepInclude(failureOf(exit), { _tag: "TransportError", mayHaveReachedServer: false })
    }))

  it.effect("a dropped connection is a TransportError that may have reached the server", () =>
    Effect.gen(function*() {
      const { exit } = yield* run(() => ({ drop: true }), (s) => s.create(target, {}))
      const error = failureOf(exit)
      assert.deepInclude(error, { _tag: "TransportError", mayHaveReachedServer: true })
      assert.match(error.message, /may have received/)
    }))
})
