import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type * as Http from "node:http"
import * as Zlib from "node:zlib"
import * as Client from "../src/PipelineRequests.js"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Capture from "./utils/Capture.js"
import * as Hostile from "./utils/HostileServer.js"

const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"
const token = "4f1c9e0a7b2d6e3f8a5c1b9d0e7f2a6c4b8d3e1f"

const detail = (requestId: string) => ({
  id: requestId,
  pipeline: "echo",
  version: "v1",
  status: "pending",
  success: false,
  time_created: "2026-12-04T18:00:00.000Z",
  time_started: null,
  time_completed: null,
  request_data: { n: 1 },
  result: null,
  error_message: null,
  deployment_requests: [],
  operator_requests: [],
  pipeline_requests: [],
  timeout: 3600,
  input_size: 7,
  output_size: null,
  origin: { created_by: "me" }
})

/** Writes 1 MiB pieces without a content-length for as long as the client reads (at most 64 MiB). */
const endless = (response: Http.ServerResponse) => {
  response.writeHead(200, { "content-type": "application/json" })
  const piece = Buffer.alloc(1024 * 1024, "a")
  let sent = 0
  const more = () => {
    while (sent < 64 && !response.destroyed) {
      sent++
      if (!response.write(piece)) return response.once("drain", more)
    }
    response.end()
  }
  more()
}

/** Runs `program` against a server answering with `answer`, through `transport`, with the client's `options`. */
const against = <A, E>(
  transport: (typeof Hostile.transports)[number][1],
  answer: (request: Hostile.Seen, response: Http.ServerResponse) => void,
  program: Effect.Effect<A, E, PipelineRequests>,
  options: Partial<Client.ClientOptions> = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const server = yield* Hostile.start(answer)
    const exit = yield* program.pipe(
      Effect.provide(Client.layer({ token: Redacted.make(token), host: server.url, ...options })),
      Effect.provide(transport),
      Effect.exit
    )
    return { exit, seen: server.seen }
  }))

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "the call failed")
  return Cause.squash((exit as Exit.Failure<A, E>).cause) as E
}

describe.each(Hostile.transports)("a hostile server, through %s", (_, transport) => {
  it.live("a body longer than maxResponseBytes and sent without a length is read only up to the cap", () =>
    Effect.gen(function*() {
      const used = process.memoryUsage().rss
      const { exit } = yield* against(
        transport,
        (_, response) => endless(response),
        Effect.flatMap(PipelineRequests, (service) => service.get(target, id)),
        { maxResponseBytes: 256 * 1024, retry: { maxRetries: 0 } }
      )
      const error = failure(exit) as { _tag: string; message: string }
      assert.strictEqual(error._tag, "DecodeError")
      assert.include(error.message, "longer than 262144 bytes (maxResponseBytes)")
      assert.isBelow(process.memoryUsage().rss - used, 48 * 1024 * 1024, "the 64 MiB body was not held")
    }))

  it.live("a body that declares a length over the cap is not read; an error status says so too", () =>
    Effect.gen(function*() {
      const { exit } = yield* against(
        transport,
        (request, response) => {
          const status = request.url.includes("collect") ? 500 : 200
          response.writeHead(status, { "content-type": "application/json", "content-length": 10_000_000 })
          response.write("[")
          // never sends the rest: a client that waited for it would hang
        },
        Effect.flatMap(PipelineRequests, (service) =>
          Effect.all([
            Effect.flip(service.get(target, id)),
            Effect.flip(service.collect(target, [id]))
          ])),
        { maxResponseBytes: 1000, retry: { maxRetries: 0 } }
      )
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        const [get, collect] = exit.value
        assert.strictEqual(get._tag, "DecodeError")
        assert.include(get.message, "longer than 1000 bytes (maxResponseBytes)")
        assert.strictEqual(collect._tag, "ServerError")
        assert.include(collect.message, "500 Server Error: the body is longer than 1000 bytes")
      }
    }))

  it.live("a streamed reply whose line never ends fails once the line passes the cap", () =>
    Effect.gen(function*() {
      const { exit } = yield* against(
        transport,
        (_, response) => {
          response.writeHead(200, { "content-type": "text/event-stream" })
          response.write("data: a partial\n")
          const piece = "x".repeat(64 * 1024)
          let sent = 0
          const more = () => {
            while (sent++ < 1024 && !response.destroyed) if (!response.write(piece)) return response.once("drain", more)
            response.end()
          }
          more()
        },
        Effect.flatMap(PipelineRequests, (service) => Stream.runCollect(service.createStreaming(target, { n: 1 }))),
        { maxResponseBytes: 256 * 1024, retry: { maxRetries: 0 } }
      )
      const error = failure(exit) as { _tag: string; message: string }
      assert.strictEqual(error._tag, "DecodeError")
      assert.include(error.message, "a line is longer than 262144 bytes (maxResponseBytes)")
    }))

  it.live("a batch create whose reply gives one id to two inputs fails with a DecodeError naming it", () =>
    Effect.gen(function*() {
      const other = "0b6c2f57-3a91-4c55-9d0e-7f1a2b3c4d5e"
      const { exit, seen } = yield* against(
        transport,
        (_, response) => Hostile.json(response, 201, [detail(id), detail(other), detail(id)]),
        Effect.flatMap(PipelineRequests, (service) => service.createBatch(target, [{ n: 1 }, { n: 2 }, { n: 3 }]))
      )
      const error = failure(exit) as { _tag: string; message: string }
      assert.strictEqual(error._tag, "DecodeError")
      assert.include(error.message, `the same request id ${id} to inputs 0 and 2`)
      assert.strictEqual(seen.length, 1, "a create is not sent twice")
    }))

  it.live("a server that echoes the Authorization header: the token is in no message, Cause.pretty or span", () =>
    Effect.gen(function*() {
      const capture = Capture.make()
      const { exit } = yield* against(
        transport,
        (request, response) =>
          request.url.includes("collect")
            ? Hostile.json(response, 200, { echo: request.headers.authorization })
            : Hostile.json(response, 400, { error: `bad header: ${request.headers.authorization}` }),
        Effect.flatMap(PipelineRequests, (service) =>
          Effect.all([
            Effect.exit(service.get(target, id)),
            Effect.exit(service.collect(target, [id]))
          ])),
        { retry: { maxRetries: 0 } }
      ).pipe(Effect.provide(capture.layer))
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isFailure(exit)) return
      const [badRequest, decode] = exit.value
      const texts: Array<string> = [capture.text()]
      for (const failed of [badRequest, decode] as Array<Exit.Exit<unknown, unknown>>) {
        assert.isTrue(Exit.isFailure(failed))
        if (Exit.isFailure(failed)) {
          const error = Cause.squash(failed.cause)
          texts.push(Cause.pretty(failed.cause), String(error), JSON.stringify(error), (error as Error).message)
        }
      }
      assert.include(texts[3], "bad header: Token <redacted token>", "the echo is shown, the token replaced")
      assert.include(texts.join("\n"), "span pipelineRequestsGet", "spans were recorded")
      for (const text of texts) assert.notInclude(text, token)
    }))

  it.live("a token with a line break is refused before anything is sent, without showing any of it", () =>
    Effect.gen(function*() {
      const capture = Capture.make()
      const halves = ["9d8c7b6a5f4e3d2c", "1b0a9f8e7d6c5b4a"]
      const server = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* Hostile.start((_, response) => Hostile.json(response, 200, detail(id)))
        const exit = yield* Effect.flatMap(PipelineRequests, (service) => service.get(target, id)).pipe(
          Effect.provide(Client.layer({ token: Redacted.make(halves.join("\n")), host: server.url })),
          Effect.provide(transport),
          Effect.exit
        )
        return { exit, seen: server.seen.length }
      })).pipe(Effect.provide(capture.layer))
      assert.strictEqual(server.seen, 0, "nothing was sent")
      const error = failure(server.exit) as { _tag: string; message: string }
      assert.strictEqual(error._tag, "InvalidRequest")
      const texts = [
        error.message,
        Cause.pretty((server.exit as Exit.Failure<unknown, unknown>).cause),
        JSON.stringify(error),
        capture.text()
      ]
      for (const text of texts) for (const half of halves) assert.notInclude(text, half)
    }))
})

describe("a compressed body", () => {
  it.live("is counted as it decompresses: a small gzip of a large body is not read past the cap (fetch)", () =>
    Effect.gen(function*() {
      const bomb = Zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, " "))
      const { exit } = yield* against(
        Hostile.transports[0][1],
        (_, response) => {
          response.writeHead(200, {
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": bomb.length
          })
          response.end(bomb)
        },
        Effect.flatMap(PipelineRequests, (service) => service.get(target, id)),
        { maxResponseBytes: 256 * 1024, retry: { maxRetries: 0 } }
      )
      assert.isBelow(bomb.length, 256 * 1024, "the declared length is under the cap")
      const error = failure(exit) as { _tag: string; message: string }
      assert.strictEqual(error._tag, "DecodeError")
      assert.include(error.message, "longer than 262144 bytes (maxResponseBytes)")
    }))
})

describe("the token in a transport's own error", () => {
  it.live("a transport error that quotes the Authorization header is redacted, its kind kept", () =>
    Effect.gen(function*() {
      const capture = Capture.make()
      const quoting = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: new TypeError("fetch failed", {
              cause: new Error(`invalid header value: ${request.headers.authorization}`)
            })
          })
        )
      )
      const exit = yield* Effect.flatMap(PipelineRequests, (service) => service.get(target, id)).pipe(
        Effect.provide(Client.layer({ token: Redacted.make(token), host: "http://127.0.0.1:9" })),
        Effect.provide(Layer.succeed(HttpClient.HttpClient, quoting)),
        Effect.provide(capture.layer),
        Effect.exit
      )
      const error = failure(exit) as { _tag: string; failure: string; message: string; cause: unknown }
      assert.deepInclude(error, { _tag: "TransportError", failure: "invalid-request" })
      const texts = [
        error.message,
        Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause),
        JSON.stringify(error),
        Inspectable.toStringUnknown(error.cause),
        capture.text()
      ]
      for (const text of texts) assert.notInclude(text, token)
    }))
})
