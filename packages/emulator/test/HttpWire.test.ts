/**
 * The wire rules, through real HTTP against the server on 127.0.0.1 (a free port), with raw `fetch`: status
 * codes, headers, bodies and the leniencies the official client needs.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { connect } from "node:net"
import { networkInterfaces } from "node:os"
import * as EmulatorServer from "../src/EmulatorServer.js"
import type { ProjectDefinition } from "../src/PipelineDefinition.js"
import { send } from "./utils/http.js"

const token = "wire-test-token"

const project: ProjectDefinition = {
  name: "team/x",
  pipelines: [
    { name: "p q", objects: [] },
    {
      name: "partials",
      objects: [{
        kind: "deployment",
        name: "talker",
        run: (input, context) => Effect.zipRight(context.emit("first"), Effect.as(context.emit("second\nthird"), input))
      }]
    },
    {
      name: "plain-upper",
      inputType: "plain",
      objects: [{ kind: "operator", name: "upper", run: (input) => Effect.succeed(String(input).toUpperCase()) }]
    }
  ]
}

const Server = EmulatorServer.layerWithEmulator({ token, port: 0, projects: [project], maxBodyBytes: 64 * 1024 })

const echo = "/v2.1/projects/demo/pipelines/echo"
const echoPlain = "/v2.1/projects/demo/pipelines/echo-plain"

const isErrorBody = (reply: { readonly headers: Headers; readonly json: any }) => {
  assert.strictEqual(reply.headers.get("content-type"), "application/json")
  assert.strictEqual(typeof reply.json?.error, "string")
  assert.isAbove(reply.json.error.length, 0)
}

layer(Server, { excludeTestServices: true })("HTTP wire", (it) => {
  const http = Effect.map(EmulatorServer.EmulatorServer, (server) => send(server.origin, token))

  it.effect("it listens on 127.0.0.1 only", () =>
    Effect.gen(function*() {
      const server = yield* EmulatorServer.EmulatorServer
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v2\.1$/)
      const external = Object.values(networkInterfaces()).flat()
        .find((address) => address !== undefined && address.family === "IPv4" && !address.internal)
      if (external === undefined) return
      const outcome = yield* Effect.async<string>((resume) => {
        const socket = connect({ host: external.address, port: server.port, timeout: 5000 })
        socket.once("connect", () => {
          socket.destroy()
          resume(Effect.succeed("connected"))
        })
        socket.once("error", (error: NodeJS.ErrnoException) => resume(Effect.succeed(error.code ?? "error")))
        socket.once("timeout", () => {
          socket.destroy()
          resume(Effect.succeed("timeout"))
        })
      })
      assert.notStrictEqual(outcome, "connected")
    }))

  it.effect("no token, or a wrong one, is 401 with an error body, before anything about the project is told", () =>
    Effect.gen(function*() {
      const call = yield* http
      const missing = yield* call(`${echo}/requests`, { token: null })
      assert.strictEqual(missing.status, 401)
      isErrorBody(missing)
      const wrong = yield* call("/v2.1/projects/no-such-project/pipelines/x/requests", { token: "nope" })
      assert.strictEqual(wrong.status, 401)
      isErrorBody(wrong)
      const unknownRoute = yield* call("/v2.1/no/such/route", { token: null })
      assert.strictEqual(unknownRoute.status, 401)
      const known = yield* call("/v2.1/projects/no-such-project/pipelines/x/requests")
      assert.strictEqual(known.status, 404)
      isErrorBody(known)
    }))

  it.effect("the token is accepted as `Token <t>` in any case, and bare", () =>
    Effect.gen(function*() {
      const call = yield* http
      for (const authorization of [`Token ${token}`, `token ${token}`, token]) {
        const reply = yield* call("/v2.1/status", { token: null, headers: { authorization } })
        assert.strictEqual(reply.status, 200, authorization)
        assert.deepStrictEqual(reply.json, { status: "ok" })
      }
      const doubled = yield* call("/v2.1/status", { token: null, headers: { authorization: `Token Token ${token}` } })
      assert.strictEqual(doubled.status, 401)
    }))

  it.effect("every response carries integer x-ratelimit-* headers", () =>
    Effect.gen(function*() {
      const call = yield* http
      for (
        const reply of [
          yield* call("/v2.1/status"),
          yield* call("/v2.1/status", { token: null }),
          yield* call("/v2.1/x")
        ]
      ) {
        assert.match(reply.headers.get("x-ratelimit-limit") ?? "", /^\d+$/)
        assert.match(reply.headers.get("x-ratelimit-remaining") ?? "", /^\d+$/)
        assert.match(reply.headers.get("x-ratelimit-reset") ?? "", /^\d+$/)
      }
    }))

  it.effect("the CLI's first calls: status, pipeline detail, user and projects", () =>
    Effect.gen(function*() {
      const call = yield* http
      const pipeline = yield* call("/v2.1/projects/demo/pipelines/echo-plain")
      assert.strictEqual(pipeline.status, 200)
      assert.strictEqual(pipeline.json.name, "echo-plain")
      assert.strictEqual(pipeline.json.project, "demo")
      assert.strictEqual(pipeline.json.input_type, "plain")
      assert.strictEqual(pipeline.json.output_type, "plain")
      assert.strictEqual(pipeline.json.default_version, "v1")
      const missing = yield* call("/v2.1/projects/demo/pipelines/nope")
      assert.strictEqual(missing.status, 404)
      isErrorBody(missing)
      const user = yield* call("/v2.1/user")
      assert.strictEqual(typeof user.json.email, "string")
      const projects = yield* call("/v2.1/projects")
      assert.deepStrictEqual(projects.json.map((p: any) => p.name), ["demo", "team/x"])
      assert.isTrue(projects.json.every((p: any) => typeof p.organization_name === "string"))
    }))

  it.effect("batch create: 201, in input order, pending; collect gives the results, newest first", () =>
    Effect.gen(function*() {
      const call = yield* http
      const created = yield* call(`${echo}/requests/batch?timeout=600&priority=0`, {
        body: JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }])
      })
      assert.strictEqual(created.status, 201)
      assert.strictEqual(created.headers.get("content-type"), "application/json")
      assert.deepStrictEqual(created.json.map((item: any) => item.status), ["pending", "pending", "pending"])
      assert.match(created.json[0].time_created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/)
      yield* Effect.sleep(50)
      const ids = created.json.map((item: any) => item.id)
      const collected = yield* call(`${echo}/requests/collect`, { body: JSON.stringify(ids) })
      assert.strictEqual(collected.status, 200)
      assert.deepStrictEqual(collected.json.map((item: any) => item.id), [...ids].reverse())
      assert.deepStrictEqual(collected.json.map((item: any) => item.result.n), [3, 2, 1])
      assert.strictEqual(collected.json[0].pipeline_timeout, 600)
      assert.isUndefined(collected.json[0].origin)
      const single = yield* call(`${echo}/requests/batch`, { body: JSON.stringify({ n: 9 }) })
      assert.strictEqual(single.json.length, 1)
    }))

  it.effect("direct create: 201 with the result; plain text as UTF-8, or Latin-1 when it is not UTF-8", () =>
    Effect.gen(function*() {
      const call = yield* http
      const structured = yield* call(`${echo}/requests`, { body: JSON.stringify({ input_field: 23.5 }) })
      assert.strictEqual(structured.status, 201)
      assert.strictEqual(structured.json.status, "completed")
      assert.deepStrictEqual(structured.json.result, { input_field: 23.5 })
      const utf8 = yield* call(`${echoPlain}/requests`, {
        body: new TextEncoder().encode("café ✓"),
        headers: { "content-type": "text/plain" }
      })
      assert.strictEqual(utf8.json.result, "café ✓")
      const latin1 = yield* call(`${echoPlain}/requests`, {
        body: new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
        headers: { "content-type": "text/plain" }
      })
      assert.strictEqual(latin1.json.result, "café")
      const [detail] = (yield* call(`${echoPlain}/requests/collect`, { body: JSON.stringify([latin1.json.id]) })).json
      assert.strictEqual(detail.input_size, 5)
      const declared = yield* call(`${echoPlain}/requests`, {
        body: new Uint8Array([0xc3, 0xa9]),
        headers: { "content-type": "text/plain; charset=ISO-8859-1" }
      })
      assert.strictEqual(declared.json.result, "Ã©")
      const jsonString = yield* call(`${echoPlain}/requests`, { body: JSON.stringify("as json") })
      assert.strictEqual(jsonString.json.result, "as json")
      const textJson = yield* call(`${echo}/requests`, {
        body: "{\"a\": 1}",
        headers: { "content-type": "text/plain" }
      })
      assert.deepStrictEqual(textJson.json.result, { a: 1 })
      const list = yield* call(`${echo}/requests`, { body: JSON.stringify([{ a: 1 }]) })
      assert.deepStrictEqual(list.json.result, [{ a: 1 }])
      const empty = yield* call(`${echoPlain}/requests`, { body: "", headers: { "content-type": "text/plain" } })
      assert.strictEqual(empty.json.result, "")
    }))

  it.effect("every validation failure is 400 with a readable {\"error\"} body", () =>
    Effect.gen(function*() {
      const call = yield* http
      const cases = [
        [`${echo}/requests?timeout=5`, { body: "{}" }, /timeout must be an integer from 10 to 7200/],
        [`${echo}/requests/batch?timeout=99999999`, { body: "[{}]" }, /timeout must be an integer from 10 to 259200/],
        [`${echo}/requests/batch?priority=2`, { body: "[{}]" }, /priority/],
        [`${echo}/requests?limit=51`, {}, /limit must be an integer from 1 to 50/],
        [`${echo}/requests?status=pending,completed`, {}, /cannot be combined/],
        [`${echo}/requests?status=done`, {}, /status must be one of/],
        [`${echo}/requests?start_date=yesterday`, {}, /ISO 8601/],
        [`${echo}/requests/x?metadata_only=maybe`, {}, /must be true or false/],
        [`${echo}/requests/batch`, { body: JSON.stringify(Array.from({ length: 251 }, () => ({}))) }, /251|250/],
        [`${echo}/requests/collect`, { body: JSON.stringify(Array.from({ length: 251 }, () => "a")) }, /251|250/],
        [`${echo}/requests/collect`, { body: JSON.stringify(["not an id!"]) }, /request id/],
        [`${echo}/requests`, { body: "{\"a\": 1" }, /not valid JSON/],
        [`${echoPlain}/requests`, { body: JSON.stringify({ a: 1 }) }, /plain input/],
        [`${echo}/requests`, { body: "7", headers: { "content-type": "text/plain" } }, /structured input/],
        [`${echo}/requests/batch`, { body: JSON.stringify([{ a: 1 }, "x y"]) }, /data\[1\]/],
        [`${echo}/requests/abc`, { method: "PATCH", body: JSON.stringify({ status: "completed" }) }, /cancelled/]
      ] as const
      for (const [path, init, message] of cases) {
        const reply = yield* call(path, init)
        assert.strictEqual(reply.status, 400, `${path}: ${reply.text}`)
        isErrorBody(reply)
        assert.match(reply.json.error, message, path)
        assert.notInclude(reply.json.error, "Expected undefined")
      }
    }))

  it.effect("True/False booleans, a repeated timeout and unknown parameters are accepted", () =>
    Effect.gen(function*() {
      const call = yield* http
      const created = yield* call(`${echo}/requests?timeout=100&timeout=100&pipeline_timeout=50&deployment_timeout=9`, {
        body: JSON.stringify({ b: 1 })
      })
      assert.strictEqual(created.status, 201)
      assert.strictEqual(created.json.pipeline_timeout, 100)
      const full = yield* call(`${echo}/requests/${created.json.id}?metadata_only=False&notification_group=x`)
      assert.deepStrictEqual(full.json.request_data, { b: 1 })
      const metadata = yield* call(`${echo}/requests/${created.json.id}?metadata_only=True`)
      assert.isNull(metadata.json.request_data)
      assert.isNull(metadata.json.result)
      assert.deepStrictEqual(metadata.json.origin, { created_by: "emulator@ubiops.local" })
    }))

  it.effect("GET and DELETE with Content-Type: application/json and no body", () =>
    Effect.gen(function*() {
      const call = yield* http
      const created = yield* call(`${echo}/requests`, { body: "{}" })
      const headers = { "content-type": "application/json", accept: "*/*", "content-length": "0" }
      const get = yield* call(`${echo}/requests/${created.json.id}`, { headers })
      assert.strictEqual(get.status, 200)
      const deleted = yield* call(`${echo}/requests/${created.json.id}`, { method: "DELETE", headers })
      assert.strictEqual(deleted.status, 204)
      assert.strictEqual(deleted.text, "")
      const again = yield* call(`${echo}/requests/${created.json.id}`, { method: "DELETE", headers })
      assert.strictEqual(again.status, 404)
      isErrorBody(again)
    }))

  it.effect("cancel-all by status takes no body, [] or {}", () =>
    Effect.gen(function*() {
      const call = yield* http
      for (const body of [undefined, "", "[]", "{}"]) {
        const reply = yield* call("/v2.1/projects/demo/pipelines/sleep/requests/cancel?status=pending", {
          method: "POST",
          ...(body === undefined ? {} : { body })
        })
        assert.strictEqual(reply.status, 200, String(body))
        assert.deepStrictEqual(reply.json, {})
      }
    }))

  it.effect("cancel one (update) and cancel many", () =>
    Effect.gen(function*() {
      const call = yield* http
      const sleep = "/v2.1/projects/demo/pipelines/sleep"
      const created = yield* call(`${sleep}/requests/batch`, {
        body: JSON.stringify([{ seconds: 600 }, { seconds: 600 }])
      })
      const [first, second] = created.json.map((item: any) => item.id)
      const updated = yield* call(`${sleep}/requests/${first}`, {
        method: "PATCH",
        body: "{\"status\": \"cancelled\"}"
      })
      assert.strictEqual(updated.status, 200)
      assert.strictEqual(updated.json.status, "cancelled")
      const many = yield* call(`${sleep}/versions/v1/requests/cancel`, { body: JSON.stringify([second]) })
      assert.strictEqual(many.status, 200)
      const [detail] = (yield* call(`${sleep}/requests/collect`, { body: JSON.stringify([second]) })).json
      assert.strictEqual(detail.status, "cancelled")
    }))

  it.effect("batch delete is all or nothing; collect fails on a missing id", () =>
    Effect.gen(function*() {
      const call = yield* http
      const created = yield* call(`${echo}/requests/batch`, { body: JSON.stringify([{ d: 1 }, { d: 2 }]) })
      const ids = created.json.map((item: any) => item.id)
      const missing = ids[0].replace(/.$/, (c: string) => (c === "f" ? "e" : "f"))
      const failed = yield* call(`${echo}/requests/delete`, { body: JSON.stringify([ids[0], missing]) })
      assert.strictEqual(failed.status, 404)
      isErrorBody(failed)
      const collectMissing = yield* call(`${echo}/requests/collect`, { body: JSON.stringify([...ids, missing]) })
      assert.strictEqual(collectMissing.status, 404)
      assert.include(collectMissing.json.error, missing)
      assert.strictEqual((yield* call(`${echo}/requests/collect`, { body: JSON.stringify(ids) })).json.length, 2)
      const deleted = yield* call(`${echo}/requests/delete`, { body: JSON.stringify(ids) })
      assert.strictEqual(deleted.status, 200)
      assert.deepStrictEqual(deleted.json, {})
      assert.strictEqual((yield* call(`${echo}/requests/collect`, { body: JSON.stringify(ids) })).status, 404)
    }))

  it.effect("path segments are percent-decoded after splitting: a project named team/x is found", () =>
    Effect.gen(function*() {
      const call = yield* http
      const base = "/v2.1/projects/team%2Fx/pipelines/p%20q"
      const created = yield* call(`${base}/versions/v1/requests`, { body: "{\"k\": 1}" })
      assert.strictEqual(created.status, 201, created.text)
      assert.strictEqual(created.json.pipeline, "p q")
      const unknown = yield* call("/v2.1/projects/team%2Fy/pipelines/p%20q/requests")
      assert.strictEqual(unknown.status, 404)
      assert.include(unknown.json.error, "team/y")
      const detail = yield* call("/v2.1/projects/team%2Fx/pipelines/p%20q")
      assert.strictEqual(detail.json.project, "team/x")
    }))

  it.effect("a body over the limit is 413; unknown routes are 404; both with an error body", () =>
    Effect.gen(function*() {
      const call = yield* http
      const big = JSON.stringify([{ text: "x".repeat(70 * 1024) }])
      const tooLarge = yield* call(`${echo}/requests/batch`, { body: big })
      assert.strictEqual(tooLarge.status, 413)
      isErrorBody(tooLarge)
      const route = yield* call("/v2.1/projects/demo/pipelines/echo/requests/x/y/z")
      assert.strictEqual(route.status, 404)
      isErrorBody(route)
      const method = yield* call(`${echo}/requests`, { method: "PUT", body: "{}" })
      assert.strictEqual(method.status, 404)
      isErrorBody(method)
    }))

  it.effect("list: completed by default, newest first, filters", () =>
    Effect.gen(function*() {
      const call = yield* http
      const base = "/v2.1/projects/team%2Fx/pipelines/p%20q"
      const ids: Array<string> = []
      for (let n = 0; n < 3; n++) ids.push((yield* call(`${base}/requests`, { body: `{"n": ${n}}` })).json.id)
      const listed = yield* call(`${base}/requests?limit=2&offset=0`)
      assert.deepStrictEqual(listed.json.slice(0, 2).map((item: any) => item.id), [ids[2], ids[1]])
      const item = listed.json[0]
      assert.deepStrictEqual(Object.keys(item).sort(), [
        "id",
        "input_size",
        "output_size",
        "pipeline",
        "status",
        "success",
        "time_completed",
        "time_created",
        "time_started",
        "version"
      ])
      const combined = yield* call(`${base}/requests?status=completed%2Cfailed&search_id=${ids[0].slice(-8)}`)
      assert.deepStrictEqual(combined.json.map((item: any) => item.id), [ids[0]])
      const future = yield* call(`${base}/requests?start_date=2999-01-01T00:00:00Z`)
      assert.deepStrictEqual(future.json, [])
    }))

  it.effect("the stream: text/event-stream, chunked, data: lines, then the final response as one bare JSON line", () =>
    Effect.gen(function*() {
      const call = yield* http
      const reply = yield* call(
        "/v2.1/projects/team%2Fx/pipelines/partials/requests/stream?timeout=7200&timeout=7200",
        {
          body: JSON.stringify({ a: 1 }),
          headers: { accept: "text/event-stream" }
        }
      )
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.headers.get("content-type"), "text/event-stream")
      assert.strictEqual(reply.headers.get("transfer-encoding"), "chunked")
      const lines = reply.text.split("\n")
      assert.deepStrictEqual(lines.slice(0, 6), ["data:first", "", "data:second", "data:third", "", lines[5]])
      const final = JSON.parse(lines[5])
      assert.strictEqual(final.status, "completed")
      assert.deepStrictEqual(final.result, { a: 1 })
      assert.strictEqual(final.pipeline_timeout, 7200)
      assert.deepStrictEqual(lines.slice(6), [""])
      const plain = yield* call("/v2.1/projects/team%2Fx/pipelines/plain-upper/versions/v1/requests/stream", {
        body: "shout",
        headers: { "content-type": "text/plain" }
      })
      assert.strictEqual(JSON.parse(plain.text.trim()).result, "SHOUT")
      const invalid = yield* call("/v2.1/projects/team%2Fx/pipelines/nope/requests/stream", { body: "{}" })
      assert.strictEqual(invalid.status, 404)
      isErrorBody(invalid)
    }))

  it.effect("input and output downloads carry Content-Disposition: attachment with a file name", () =>
    Effect.gen(function*() {
      const call = yield* http
      const created = yield* call(`${echo}/requests`, { body: JSON.stringify({ file: "é" }) })
      const input = yield* call(`${echo}/requests/${created.json.id}/input`)
      assert.strictEqual(input.status, 200)
      assert.strictEqual(input.headers.get("content-type"), "application/json")
      assert.strictEqual(
        input.headers.get("content-disposition"),
        `attachment; filename="${created.json.id}-input.json"`
      )
      assert.deepStrictEqual(input.json, { file: "é" })
      const output = yield* call(`${echo}/versions/v1/requests/${created.json.id}/output`)
      assert.deepStrictEqual(output.json, { file: "é" })
      const operatorId = created.json.operator_requests[0].id
      const objectOutput = yield* call(`${echo}/versions/v1/object-requests/${operatorId}/output`)
      assert.match(objectOutput.headers.get("content-disposition") ?? "", /^attachment; filename=".+-output\.json"$/)
      const plain = yield* call(`${echoPlain}/requests`, { body: "text", headers: { "content-type": "text/plain" } })
      const plainOutput = yield* call(`${echoPlain}/requests/${plain.json.id}/output`)
      assert.strictEqual(plainOutput.headers.get("content-type"), "text/plain; charset=utf-8")
      assert.strictEqual(plainOutput.text, "text")
    }))

  it.effect("object requests: the operator request of a pipeline request, by id", () =>
    Effect.gen(function*() {
      const call = yield* http
      const created = yield* call(`${echo}/requests`, { body: JSON.stringify({ o: 1 }) })
      const operator = created.json.operator_requests[0]
      const reply = yield* call(
        `${echo}/versions/v1/object-requests/${operator.id}?metadata_only=True&pipeline_request_id=${created.json.id}&pipeline_object_id=x`
      )
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.pipeline_request_id, created.json.id)
      assert.strictEqual(reply.json.pipeline_object, "echo-function")
      assert.strictEqual(reply.json.object, "echo-function")
      assert.strictEqual(reply.json.operator, "function")
      assert.isNull(reply.json.request_data)
    }))

  it.effect("/_emulator routes need no token", () =>
    Effect.gen(function*() {
      const call = yield* http
      const stats = yield* call("/_emulator/stats", { token: null })
      assert.strictEqual(stats.status, 200)
      assert.isAbove(stats.json.created.total, 0)
      assert.isAbove(stats.json.calls.pipelineRequestsCreate, 0)
      assert.isAbove(stats.json.responses["201"], 0)
      assert.hasAllKeys(stats.json.statuses, ["pending", "processing", "completed", "failed", "cancelled"])
      const faults = yield* call("/_emulator/faults", { token: null })
      assert.deepStrictEqual(faults.json, {})
    }))
})
