/**
 * What each piece of one `PipelineRequests` call costs on its own: the Effect constructs that
 * `packages/core/src/internal/caller.ts` wraps around every HTTP request, and the pieces of `@effect/platform`'s
 * `HttpClient` over undici, each timed in a loop of 50,000 (CPU µs per operation, after a warm-up), next to the
 * same work done plainly. Only public modules are used: the constructs are re-created here as caller.ts uses them
 * (read it to see which are current); `overhead.ts` measures the whole call.
 *
 *   node --import tsx bench/micro/constructs.ts
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { BatchRequestData, RequestIds } from "@ubiops-effect/core/ApiParams"
import * as RateGovernor from "@ubiops-effect/core/RateGovernor"
import * as RetryBudget from "@ubiops-effect/core/RetryBudget"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const n = Number(process.argv[2] ?? 50_000)
const results: Array<readonly [string, number]> = []

const measure = (name: string, effect: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 5_000; i++) yield* effect
    const cpu = process.cpuUsage()
    for (let i = 0; i < n; i++) yield* effect
    const used = process.cpuUsage(cpu)
    results.push([name, (used.user + used.system) / n])
  })

const measureSync = (name: string, f: () => unknown) => {
  for (let i = 0; i < 5_000; i++) f()
  const cpu = process.cpuUsage()
  for (let i = 0; i < n; i++) f()
  const used = process.cpuUsage(cpu)
  results.push([name, (used.user + used.system) / n])
}

const ids = Array.from({ length: 250 }, (_, i) => `5aa6bea9-8a09-42a0-8fff-${String(i).padStart(12, "0")}`)
const inputs = Array.from({ length: 250 }, (_, i) => ({ i }))
const detail = (i: number) => ({
  id: ids[i],
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
const collectBody = JSON.stringify(ids.map((_, i) => detail(i)))
const rawHeaders = {
  "content-type": "application/json",
  "content-length": "100",
  "x-ratelimit-limit": "300",
  "x-ratelimit-remaining": "300",
  "x-ratelimit-reset": "60",
  date: "Thu, 26 Nov 2026 21:04:11 GMT",
  connection: "keep-alive",
  "keep-alive": "timeout=65"
}

const program = Effect.gen(function*() {
  yield* measure("baseline: yield* Effect.void", Effect.void)
  yield* measure(
    "Effect.withSpan (core's span per call)",
    Effect.withSpan(Effect.void, "pipelineRequestsGet", {
      kind: "client",
      captureStackTrace: false,
      attributes: { "ubiops.operation": "x", "ubiops.project": "p", "ubiops.pipeline": "q", "ubiops.version": "v" }
    })
  )
  yield* measure("baseline: Effect.promise(resolved)", Effect.promise(() => Promise.resolve()))
  yield* measure(
    "Effect.timeoutFail, async body (per attempt)",
    Effect.timeoutFail(Effect.promise(() => Promise.resolve()), {
      duration: Duration.seconds(30),
      onTimeout: () => "timeout"
    })
  )
  yield* measure(
    "Effect.catchAll + Effect.tap (the retry path, no failure)",
    Effect.void.pipe(
      Effect.catchAll(() => Effect.void),
      Effect.tap(() => Effect.void)
    )
  )
  const governor = yield* RateGovernor.make
  const parsed = RateGovernor.parseHeaders(rawHeaders)
  const wait = Duration.seconds(120)
  yield* measure(
    "RateGovernor acquire + release",
    Effect.zipRight(governor.acquire(wait), governor.release(parsed))
  )
  const budget = yield* RetryBudget.make(RetryBudget.defaults.capacity)
  yield* measure("RetryBudget.onSuccess", budget.onSuccess)
  yield* measure("Effect.uninterruptibleMask(restore)", Effect.uninterruptibleMask((restore) => restore(Effect.void)))
  yield* measure(
    "withoutRedirects (serviceOption + provideService)",
    Effect.flatMap(
      Effect.serviceOption(FetchHttpClient.RequestInit),
      (init) =>
        Effect.provideService(Effect.void, FetchHttpClient.RequestInit, {
          ...Option.getOrUndefined(init),
          redirect: "manual"
        })
    )
  )
  yield* measure("Clock.currentTimeMillis", Clock.currentTimeMillis)
})

await Effect.runPromise(program)

const encodeIds = Schema.encodeUnknownEither(RequestIds)
const encodeInputs = Schema.encodeUnknownEither(BatchRequestData)
measureSync("Schema encode of a collect payload (250 ids)", () => encodeIds(ids))
measureSync("Schema encode of a create payload (250 inputs)", () => encodeInputs(inputs))
measureSync("JSON.stringify(250 ids)", () => JSON.stringify(ids))
measureSync("JSON.stringify(250 inputs)", () => JSON.stringify(inputs))
measureSync("JSON.parse(collect body, 250 details)", () => JSON.parse(collectBody))
measureSync("Headers.fromInput(8 response headers)", () => Headers.fromInput(rawHeaders))
measureSync("RateGovernor.parseHeaders(Headers)", () => RateGovernor.parseHeaders(Headers.fromInput(rawHeaders)))
measureSync("HttpClientRequest.make + setBody", () =>
  HttpClientRequest.setBody(
    HttpClientRequest.make("POST")("http://127.0.0.1:1/v2.1/projects/p/pipelines/q/requests/collect", {
      urlParams: [],
      headers: { authorization: "Token t", "user-agent": "u", accept: "application/json" }
    }),
    HttpBody.text("[]", "application/json")
  ))
measureSync("new URL(request url)", () => new URL("http://127.0.0.1:1/v2.1/projects/p/pipelines/q/requests/collect"))
measureSync("new AbortController() + listener add/remove", () => {
  const controller = new AbortController()
  const listener = () => {}
  controller.signal.addEventListener("abort", listener)
  controller.signal.removeEventListener("abort", listener)
})
const registry = new FinalizationRegistry<unknown>(() => {})
measureSync("FinalizationRegistry.register (platform, per response)", () => registry.register({}, {}))

for (const [name, micros] of results) console.log(`${micros.toFixed(2).padStart(9)} µs  ${name}`)
