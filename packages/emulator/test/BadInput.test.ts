/**
 * Bad input into the emulator's HTTP server, over raw sockets and `fetch`: malformed and truncated JSON, wrong
 * types, bodies of the wrong kind, oversized bodies with and without a length, unknown routes, half-sent requests,
 * and 1,000 connections at once. Each gets a clear status and `{"error": ...}`, creates nothing, and the server
 * keeps serving. (The validation messages of each parameter are in `HttpWire.test.ts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { connect, type Socket } from "node:net"
import * as EmulatorServer from "../src/EmulatorServer.js"
import { type Call, type Reply, send } from "./utils/http.js"

const token = "bad-input-token"
const maxBodyBytes = 64 * 1024

const withServer = <A, E>(
  use: (
    call: (path: string, call?: Call) => Effect.Effect<Reply>,
    server: EmulatorServer.Service
  ) => Effect.Effect<A, E>
) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(EmulatorServer.layerWithEmulator({ token, port: 0, maxBodyBytes })), (context) => {
      const server = context.unsafeMap.get(EmulatorServer.EmulatorServer.key) as EmulatorServer.Service
      return use(send(server.origin, token), server)
    })
  )

const echo = "/v2.1/projects/demo/pipelines/echo"

const stats = (call: (path: string, call?: Call) => Effect.Effect<Reply>) =>
  Effect.map(call("/_emulator/stats", { token: null }), (reply) => reply.json)

const assertErrorBody = (reply: Reply, status: number, message: RegExp, what: string) => {
  assert.strictEqual(reply.status, status, `${what}: ${reply.text}`)
  assert.strictEqual(reply.headers.get("content-type"), "application/json", what)
  assert.strictEqual(typeof reply.json?.error, "string", what)
  assert.match(reply.json.error, message, what)
}

interface RawReply {
  readonly status: number
  readonly body: string
}

/** Parses one HTTP/1.1 response (a length or chunked body) from what a `Connection: close` socket received. */
const parseResponse = (raw: Buffer): RawReply => {
  const end = raw.indexOf("\r\n\r\n")
  if (end < 0) throw new Error(`no complete response: ${raw.toString("latin1").slice(0, 200)}`)
  const head = raw.subarray(0, end).toString("latin1")
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
  let body = raw.subarray(end + 4)
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const parts: Array<Buffer> = []
    for (let at = 0;;) {
      const line = body.indexOf("\r\n", at)
      const size = parseInt(body.subarray(at, line).toString("latin1"), 16)
      if (!(size > 0)) break
      parts.push(body.subarray(line + 2, line + 2 + size))
      at = line + 2 + size + 2
    }
    body = Buffer.concat(parts)
  }
  return { status, body: body.toString("utf8") }
}

/** Opens a TCP connection to the server (resolves once connected). */
const open = (port: number): Effect.Effect<Socket, Error> =>
  Effect.async<Socket, Error>((resume) => {
    const socket = connect({ host: "127.0.0.1", port })
    socket.once("connect", () => resume(Effect.succeed(socket)))
    socket.once("error", (error) => resume(Effect.fail(error)))
  })

/** Sends raw bytes on a connection and reads the response until the server closes it. */
const exchange = (socket: Socket, request: string | Buffer): Effect.Effect<RawReply, Error> =>
  Effect.async<RawReply, Error>((resume) => {
    const received: Array<Buffer> = []
    socket.on("data", (data: Buffer) => received.push(data))
    socket.once("error", (error) => resume(Effect.fail(error)))
    socket.once("close", () => {
      try {
        resume(Effect.succeed(parseResponse(Buffer.concat(received))))
      } catch (error) {
        resume(Effect.fail(error as Error))
      }
    })
    socket.setTimeout(60_000, () => socket.destroy(new Error("no response within 60 s")))
    socket.write(request)
  })

const rawRequest = (method: string, path: string, headers: Record<string, string>, body = "") =>
  [
    `${method} ${path} HTTP/1.1`,
    "host: 127.0.0.1",
    `authorization: Token ${token}`,
    "connection: close",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ...(body === "" || headers["transfer-encoding"] !== undefined
      ? []
      : [`content-length: ${Buffer.byteLength(body)}`]),
    "",
    body
  ].join("\r\n")

describe("bad input into the emulator", () => {
  it.live("malformed or truncated JSON, wrong types, bodies of the wrong kind: 400 or 415, nothing created", () =>
    withServer((call) =>
      Effect.gen(function*() {
        const json = { "content-type": "application/json" }
        const cases: ReadonlyArray<readonly [string, Call, number, RegExp]> = [
          [`${echo}/requests/batch`, { body: "[{\"n\": 1}, {\"n\": 2" }, 400, /not valid JSON/],
          [`${echo}/requests/batch`, { body: "[{\"n\": 1}]]" }, 400, /not valid JSON/],
          [`${echo}/requests/batch`, { body: "\u0000\u00ff\u0001garbage" }, 400, /not valid JSON/],
          [`${echo}/requests/batch`, { body: new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]) }, 400, /not valid JSON/],
          [`${echo}/requests/batch`, { body: "5" }, 400, /Expected/],
          [`${echo}/requests/batch`, { body: "null" }, 400, /Expected/],
          [`${echo}/requests/batch`, { body: "[1, 2]" }, 400, /data\[0\].*structured/],
          [`${echo}/requests/batch`, { body: "[{\"n\": 1}, [2]]" }, 400, /data\[1\]/],
          [`${echo}/requests`, { body: "[[[[1]]]]" }, 400, /structured/],
          [`${echo}/requests`, { body: "\"text\"" }, 400, /structured/],
          [`${echo}/requests/collect`, { body: "{\"ids\": []}" }, 400, /Expected/],
          [`${echo}/requests/collect`, { body: "[1, 2]" }, 400, /Expected string/],
          [`${echo}/requests/collect`, { body: "" }, 400, /Expected/],
          [`${echo}/requests/cancel`, { body: "[true]" }, 400, /Expected/],
          [`${echo}/requests/delete`, { body: "{}" }, 400, /Expected/],
          [`${echo}/requests/some-id`, { method: "PATCH", body: "{\"status\": 5}" }, 400, /status/],
          [`${echo}/requests?limit=many`, {}, 400, /limit/],
          [`${echo}/requests?offset=-3`, {}, 400, /offset/],
          [`${echo}/requests/batch?timeout=ten`, { body: "[{}]" }, 400, /timeout/],
          [`${echo}/requests/batch?priority=1.5`, { body: "[{}]" }, 400, /priority/],
          ["/_emulator/faults", { body: "{\"errorRates\": {\"500\": \"often\"}}", token: null }, 400, /errorRates/],
          ["/_emulator/faults", { body: "{\"seed\": 1", token: null }, 400, /not valid JSON/],
          ["/_emulator/faults", { body: "[]", token: null }, 400, /Expected/],
          // a form or XML would be taken apart into an input nobody sent
          [
            `${echo}/requests/batch`,
            {
              body: "[{\"n\": 1}]",
              headers: { "content-type": "application/x-www-form-urlencoded" }
            },
            415,
            /Content-Type/
          ],
          [
            `${echo}/requests`,
            { body: "<n>1</n>", headers: { "content-type": "application/xml" } },
            415,
            /Content-Type/
          ],
          [
            `${echo}/requests/collect`,
            {
              body: "[\"a\"]",
              headers: { "content-type": "application/octet-stream" }
            },
            415,
            /Content-Type/
          ]
        ]
        for (const [path, init, status, message] of cases) {
          const headers = init.headers ?? (init.body === undefined ? {} : json)
          assertErrorBody(yield* call(path, { ...init, headers }), status, message, `${init.method ?? ""} ${path}`)
        }
        const after = yield* stats(call)
        assert.strictEqual(after.created.total, 0, "nothing was created")
        // and the server still answers a good request
        const good = yield* call(`${echo}/requests/batch`, { body: "[{\"n\": 1}]" })
        assert.strictEqual(good.status, 201)
        // no content type at all is read as JSON, as before
        const bare = yield* call(`${echo}/requests/batch`, { body: "[{\"n\": 2}]", headers: { "content-type": "" } })
        assert.strictEqual(bare.status, 201, bare.text)
      })
    ))

  it.live("oversized bodies are 413 with an error body, with a length, without one (chunked), or lying", () =>
    withServer((call, server) =>
      Effect.gen(function*() {
        const big = JSON.stringify([{ text: "x".repeat(maxBodyBytes) }])
        const declared = yield* exchange(
          yield* open(server.port),
          rawRequest("POST", `${echo}/requests/batch`, { "content-type": "application/json" }, big)
        )
        assert.strictEqual(declared.status, 413)
        assert.match(JSON.parse(declared.body).error, /larger than 65536 bytes/)
        // no length: chunked, read to its end and dropped, then 413
        const chunk = "x".repeat(16 * 1024)
        const chunks = Array.from({ length: 6 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("")
        const chunked = yield* exchange(
          yield* open(server.port),
          rawRequest("POST", `${echo}/requests/batch`, {
            "content-type": "application/json",
            "transfer-encoding": "chunked"
          }) + chunks + "0\r\n\r\n"
        )
        assert.strictEqual(chunked.status, 413)
        assert.match(JSON.parse(chunked.body).error, /larger than/)
        // through fetch, which streams a body of unknown length
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(chunk))
            controller.close()
          }
        })
        const fetched = yield* Effect.promise(() =>
          fetch(`${server.origin}${echo}/requests/batch`, {
            method: "POST",
            headers: { authorization: `Token ${token}`, "content-type": "application/json" },
            body: stream,
            duplex: "half"
          } as RequestInit).then(async (response) => ({ status: response.status, json: await response.json() }))
        )
        assert.strictEqual(fetched.status, 413)
        assert.strictEqual(typeof fetched.json.error, "string")
        // a length shorter than the body: the bytes past it are not a request; the connection is answered and closed
        const lying = yield* exchange(
          yield* open(server.port),
          rawRequest("POST", `${echo}/requests/batch`, {
            "content-type": "application/json",
            "content-length": "3"
          }, "[{\"n\": 1}]")
        )
        assert.strictEqual(lying.status, 400)
        assert.match(JSON.parse(lying.body).error, /not valid HTTP/)
        assert.strictEqual((yield* stats(call)).created.total, 0)
        assert.strictEqual((yield* call(`${echo}/requests/batch`, { body: "[{\"n\": 1}]" })).status, 201)
      })
    ))

  it.live("unknown routes and methods, garbage request lines: a clear status, and the server goes on", () =>
    withServer((call, server) =>
      Effect.gen(function*() {
        for (
          const [method, path] of [
            ["GET", "/"],
            ["GET", "/v2.1"],
            ["GET", "/v3/projects"],
            ["GET", "/_emulator/nothing"],
            ["POST", `${echo}/requests/batch/extra`],
            ["PUT", `${echo}/requests`],
            ["GET", `/v2.1/projects/demo/pipelines/echo/requests/${"a".repeat(5000)}`],
            ["GET", "/v2.1/projects/%E0%A4%A/pipelines/echo/requests"]
          ] as const
        ) {
          const reply = yield* call(path, { method })
          assert.oneOf(reply.status, [400, 404], `${method} ${path}`)
          assert.strictEqual(typeof reply.json?.error, "string", `${method} ${path}: ${reply.text}`)
        }
        // what is not HTTP at all, or headers too large: 400 or 431 with an error body, and the connection closed
        const garbage = yield* exchange(yield* open(server.port), "HELLO THERE\r\n\r\n")
        assert.strictEqual(garbage.status, 400)
        assert.match(JSON.parse(garbage.body).error, /not valid HTTP/)
        const headers = yield* exchange(
          yield* open(server.port),
          rawRequest("GET", `${echo}/requests`, { "x-filler": "y".repeat(64 * 1024) })
        )
        assert.strictEqual(headers.status, 431)
        assert.match(JSON.parse(headers.body).error, /too large/)
        assert.strictEqual((yield* call(`${echo}/requests/batch`, { body: "[{\"n\": 1}]" })).status, 201)
      })
    ))

  it.live(
    "1,000 connections at once, good and bad requests mixed: every one answered right, the server goes on",
    () =>
      withServer((call, server) =>
        Effect.gen(function*() {
          const count = 1_000
          // also: connections that sent half a request and stall must not hold anyone up
          const stalled = yield* Effect.forEach(Array.from({ length: 20 }), () => open(server.port), {
            concurrency: 20
          })
          for (const socket of stalled) {
            socket.write(`POST ${echo}/requests/batch HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n[{`)
          }
          // every connection is open before any request is sent
          const sockets = yield* Effect.forEach(Array.from({ length: count }), () => open(server.port), {
            concurrency: 200
          })
          const kinds = ["good", "malformed", "wrong type", "unknown route", "no token"] as const
          const requestOf = (i: number) => {
            const json = { "content-type": "application/json" }
            switch (kinds[i % kinds.length]) {
              case "good":
                return rawRequest("POST", `${echo}/requests/batch`, json, JSON.stringify([{ i }]))
              case "malformed":
                return rawRequest("POST", `${echo}/requests/batch`, json, `[{"i": ${i}`)
              case "wrong type":
                return rawRequest("POST", `${echo}/requests/collect`, json, JSON.stringify({ ids: [i] }))
              case "unknown route":
                return rawRequest("GET", `/v2.1/nowhere/${i}`, {})
              case "no token":
                return rawRequest("GET", `${echo}/requests`, {}).replace(/authorization: [^\r]*\r\n/, "")
            }
          }
          const expected = { good: 201, malformed: 400, "wrong type": 400, "unknown route": 404, "no token": 401 }
          const replies = yield* Effect.forEach(sockets, (socket, i) => exchange(socket, requestOf(i)), {
            concurrency: "unbounded"
          })
          replies.forEach((reply, i) => {
            const kind = kinds[i % kinds.length]
            assert.strictEqual(reply.status, expected[kind], `${kind} #${i}: ${reply.body}`)
            const body = JSON.parse(reply.body)
            if (kind === "good") assert.deepStrictEqual(body.length, 1)
            else assert.strictEqual(typeof body.error, "string", `${kind} #${i}`)
          })
          const after = yield* stats(call)
          assert.strictEqual(
            after.created.total,
            count / kinds.length,
            "one request per good call, none for the others"
          )
          assert.strictEqual((yield* call(`${echo}/requests?limit=1`)).status, 200, "still serving")
          for (const socket of stalled) socket.destroy()
        })
      ),
    120_000
  )
})
