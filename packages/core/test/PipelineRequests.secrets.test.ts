import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import * as Capture from "./utils/Capture.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const token = "tok-3f9a2b7c41d8e6"
const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"

describe("the token never leaks", () => {
  it.effect("not in errors of every kind, logs at every level, spans, or logged requests", () =>
    Effect.gen(function*() {
      const capture = Capture.make()
      const replies: Array<Scripted.Reply> = [
        { status: 400, json: { error: "bad" } },
        { status: 401, json: { error: "who are you" } },
        { status: 403, json: { error: "no" } },
        { status: 404, json: { error: "gone" } },
        { status: 500, json: { error: "boom" } },
        { refuse: true },
        { drop: true },
        { status: 200, text: "{\"truncated" },
        { status: 200, json: { id, status: "completed", time_created: "x" } },
        { status: 429, json: { error: "slow" }, headers: { "x-ratelimit-reset": "9999" } }
      ]
      const server = Scripted.make((_, index) => replies[index % replies.length])
      const exits = yield* Effect.gen(function*() {
        const service = yield* PipelineRequests
        const results = []
        for (let i = 0; i < replies.length; i++) {
          const exit = yield* Effect.exit(service.get(target, id))
          if (Exit.isFailure(exit)) yield* Effect.logError("call failed", exit.cause)
          results.push(exit)
        }
        // The server's window is now closed for longer than the client waits: refused without a call.
        results.push(yield* Effect.exit(service.get(target, id)))
        results.push(yield* Effect.exit(service.create(target, { n: 1n })))
        yield* Effect.logTrace("done", results)
        return results
      }).pipe(
        Effect.provide(Client.layer({
          token: Redacted.make(token),
          host: "http://127.0.0.1:9",
          retry: { maxRetries: 0 },
          transformClient: HttpClient.tapRequest((request) => Effect.logDebug("transport saw", request))
        })),
        Effect.provide(server.layer),
        Effect.provide(capture.layer)
      )
      const tags = exits.map((exit) =>
        Exit.isFailure(exit) ? Cause.squash(exit.cause) as { _tag: string } : { _tag: "Success" }
      )
      assert.deepStrictEqual(tags.map((error) => error._tag), [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "ServerError",
        "TransportError",
        "TransportError",
        "DecodeError",
        "Success",
        "RateLimited",
        "RateLimited",
        "InvalidRequest"
      ])
      assert.strictEqual(server.seen[0].headers.authorization, `Token ${token}`, "the token was sent")
      assert.strictEqual(server.seen.length, replies.length, "the call held by the rate window was not sent")
      const texts = [
        capture.text(),
        ...exits.flatMap((exit) =>
          Exit.isFailure(exit)
            ? [Cause.pretty(exit.cause), String(Cause.squash(exit.cause)), JSON.stringify(Cause.squash(exit.cause))]
            : []
        )
      ]
      assert.isTrue(capture.lines.some((line) => line.startsWith("span pipelineRequestsGet")), "spans were captured")
      assert.isTrue(capture.lines.some((line) => line.includes("transport saw")), "the request was logged")
      for (const text of texts) assert.notInclude(text, token)
    }))
})
