/**
 * What the client refuses before sending: every case runs on one shared client (`layer`), whose server must
 * never see a request.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import type { UbiOpsError } from "../src/UbiOpsError.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

const target = { project: "demo", pipeline: "echo" }
const id = "69eca481-8576-49e8-8e20-ea56f2005bcb"

const server = Scripted.make(() => ({ status: 500, json: { error: "should not be called" } }))
const client = Client.layer({
  token: Redacted.make("secret-token-123"),
  host: "http://127.0.0.1:9",
  retry: { maxRetries: 0 }
})
  .pipe(Layer.provide(server.layer))

layer(client)("client-side validation: a typed error and nothing sent", (it) => {
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  const cases: ReadonlyArray<readonly [string, (s: Client.Service) => Effect.Effect<unknown, UbiOpsError>, RegExp]> = [
    ["more than 250 inputs", (s) => s.createBatch(target, Array.from({ length: 251 }, () => ({}))), /250/],
    ["more than 250 ids to collect", (s) => s.collect(target, Array.from({ length: 251 }, () => id)), /250/],
    ["more than 250 ids to cancel", (s) => s.cancelBatch(target, Array.from({ length: 251 }, () => id)), /250/],
    ["more than 250 ids to delete", (s) => s.deleteBatch(target, Array.from({ length: 251 }, () => id)), /250/],
    ["a direct timeout below 10", (s) => s.create(target, {}, { timeout: 5 }), /timeout must be .* 10 to 7200/],
    ["a direct timeout above 7200", (s) => s.create(target, {}, { timeout: 7201 }), /10 to 7200/],
    ["a fractional timeout", (s) => s.create(target, {}, { timeout: 10.5 }), /integer/],
    ["a batch timeout above 72 hours", (s) => s.createBatch(target, [{}], { timeout: 259201 }), /10 to 259200/],
    ["an empty project name", (s) => s.get({ project: "", pipeline: "echo" }, id), /project_name: must not be empty/],
    ["an empty pipeline name", (s) => s.get({ project: "demo", pipeline: "" }, id), /pipeline_name/],
    ["an empty version", (s) => s.get({ ...target, version: "" }, id), /version/],
    ["a `..` name", (s) => s.get({ project: "..", pipeline: "echo" }, id), /must not be/],
    ["a name with a newline", (s) => s.get({ project: "a\nb", pipeline: "echo" }, id), /control characters/],
    ["a malformed request id", (s) => s.get(target, "../../x"), /request_id: must be a request id/],
    ["an empty request id", (s) => s.delete(target, ""), /request_id/],
    [
      "a combined status filter with pending",
      (s) => s.list(target, { status: ["pending", "completed"] }),
      /cannot be combined/
    ],
    ["an unknown status", (s) => s.list(target, { status: "done" as never }), /status must be one of/],
    ["a limit above 50", (s) => s.list(target, { limit: 51 }), /limit must be an integer from 1 to 50/],
    ["a negative offset", (s) => s.list(target, { offset: -1 }), /offset/],
    ["a malformed date", (s) => s.list(target, { startDate: "yesterday" }), /ISO 8601/],
    ["a BigInt in the data", (s) => s.create(target, { n: 1n }), /cannot be serialised as JSON/],
    ["a cycle in the data", (s) => s.create(target, cycle), /cannot be serialised as JSON/],
    ["a number as data", (s) => s.create(target, 42 as never), /Expected/],
    [
      "an oversized payload",
      (s) => s.create(target, { big: "x".repeat(64 * 1024 * 1024 + 1) }),
      /larger than 67108864 bytes/
    ]
  ]
  for (const [name, call, message] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Effect.flatMap(PipelineRequests, call))
        assert.strictEqual(error._tag, "InvalidRequest")
        assert.match(error.message, message)
        assert.strictEqual(server.seen.length, 0)
      }))
  }
})
