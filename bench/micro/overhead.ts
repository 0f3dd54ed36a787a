/**
 * The client-side CPU cost of one call, without a network: an undici `Dispatcher` stub answers every request at
 * once with a canned response (the same JSON the emulator sends for a get, or for a collect of 250), so what is
 * measured is only the code above the socket. Explains scenario 5 (sequential gets) and the per-call part of
 * scenario 1. Run with `--cpu-prof` to see where the time goes.
 *
 *   node --import tsx bench/micro/overhead.ts [raw|platform|ours|all] [get|collect|create] [calls]
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { Dispatcher } from "undici"

const which = process.argv[2] ?? "all"
const operation = (process.argv[3] ?? "get") as "get" | "collect" | "create"
const calls = Number(process.argv[4] ?? (operation === "get" ? 20_000 : 2_000))

const detail = (i: number) => ({
  id: `5aa6bea9-8a09-42a0-8fff-${String(i).padStart(12, "0")}`,
  pipeline: "instant",
  version: "v1",
  status: "completed",
  success: true,
  time_created: "2026-11-26T21:04:11.207+00:00",
  time_started: "2026-11-26T21:04:11.215+00:00",
  time_completed: "2026-11-26T21:04:11.215+00:00",
  input_size: 7,
  output_size: 7,
  request_data: { i },
  result: { i },
  error_message: null,
  pipeline_timeout: 14400,
  deployment_timeout: null,
  deployment_requests: [],
  operator_requests: [],
  pipeline_requests: []
})
const ids = Array.from({ length: 250 }, (_, i) => detail(i).id)
const inputs = Array.from({ length: 250 }, (_, i) => ({ i }))
const body = JSON.stringify(
  operation === "get"
    ? { ...detail(1), origin: { created_by: "x" } }
    : operation === "collect"
    ? ids.map((_, i) => detail(i))
    : ids.map((id) => ({
      id,
      pipeline: "instant",
      version: "v1",
      status: "pending",
      time_created: detail(0).time_created
    }))
)
const responseHeaders = {
  "content-type": "application/json",
  "content-length": String(body.length),
  "x-ratelimit-limit": "300",
  "x-ratelimit-remaining": "300",
  "x-ratelimit-reset": "60"
}

/** Answers every request at once; reads nothing of it but consumes a request body if there is one. */
const stub = {
  request: () =>
    Promise.resolve({
      statusCode: 200,
      headers: responseHeaders,
      body: { text: () => Promise.resolve(body), on: () => undefined }
    })
} as unknown as Dispatcher

const base = "http://127.0.0.1:1/v2.1"
const target = { project: "bench", pipeline: "instant" }
const path = operation === "get"
  ? `/projects/bench/pipelines/instant/requests/${ids[1]}`
  : `/projects/bench/pipelines/instant/requests/${operation === "collect" ? "collect" : "batch"}`
const payload = operation === "create" ? inputs : ids
const headers = { authorization: "Token tok", "user-agent": "x", accept: "application/json" }

const time = async (name: string, once: () => Promise<unknown>) => {
  for (let i = 0; i < 2000; i++) await once()
  const cpu = process.cpuUsage()
  for (let i = 0; i < calls; i++) await once()
  const used = process.cpuUsage(cpu)
  console.log(
    `${name.padEnd(34)} ${((used.user + used.system) / calls).toFixed(1).padStart(7)} µs CPU per ${operation}`
  )
}

const timeEffect = (name: string, once: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) yield* once
    const cpu = process.cpuUsage()
    for (let i = 0; i < calls; i++) yield* once
    const used = process.cpuUsage(cpu)
    console.log(
      `${name.padEnd(34)} ${((used.user + used.system) / calls).toFixed(1).padStart(7)} µs CPU per ${operation}`
    )
  })

const dispatcherLayer = Layer.succeed(NodeHttpClient.Dispatcher, stub)
const httpLayer = NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(dispatcherLayer))

if (which === "raw" || which === "all") {
  await time("raw (dispatcher + JSON)", async () => {
    const response = await stub.request({
      origin: "http://127.0.0.1:1",
      path,
      method: operation === "get" ? "GET" : "POST",
      headers,
      body: operation === "get" ? null : JSON.stringify(payload)
    })
    return JSON.parse(await response.body.text())
  })
}
if (which === "platform" || which === "all") {
  await Effect.runPromise(
    Effect.gen(function*() {
      const client = HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true)
      const request = operation === "get"
        ? HttpClientRequest.get(base + path, { headers })
        : HttpClientRequest.post(base + path, { headers }).pipe(HttpClientRequest.bodyUnsafeJson(payload))
      yield* timeEffect(
        "@effect/platform HttpClient + JSON",
        Effect.flatMap(client.execute(request), (response) => Effect.map(response.text, JSON.parse))
      )
    }).pipe(Effect.provide(httpLayer))
  )
}
if (which === "ours" || which === "all") {
  await Effect.runPromise(
    Effect.gen(function*() {
      const service = yield* PipelineRequests.PipelineRequests
      yield* timeEffect(
        "PipelineRequests (core)",
        operation === "get"
          ? service.get(target, ids[1])
          : operation === "collect"
          ? service.collect(target, ids)
          : service.createBatch(target, inputs)
      )
    }).pipe(
      Effect.provide(
        PipelineRequests.layer({ token: Redacted.make("tok"), host: base }).pipe(Layer.provide(httpLayer))
      )
    )
  )
}
