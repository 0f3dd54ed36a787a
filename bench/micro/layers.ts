/**
 * Where scenario 1's client CPU goes, layer by layer, and how it changes as the JIT warms up. Starts an emulator
 * (own process, instant pipeline) and runs, in one client process, rounds of `n` inputs with four clients in turn:
 *
 * - `ours`: `Batch.run` over `PipelineRequests` (core) on `NodeHttpClient.layerUndici`, as in scenario 1;
 * - `platform`: `Batch.run` over a bare service on `@effect/platform`'s `HttpClient` (no validation, retries,
 *   timeouts or rate governor): what core adds is `ours` minus this;
 * - `undici`: `Batch.run` over a service on the reference's raw undici client: what the `HttpClient` adds is
 *   `platform` minus this, and what the stream package and the Effect runtime cost is this minus `reference`;
 * - `reference`: the reference batch runner (plain async code, no Effect).
 *
 * The order rotates from round to round. Every client runs in the same process, so later rounds run on code the JIT
 * has already optimised for the others: the first rounds are the cold figures (what a fresh process measures, as
 * the benchmark does), the second half the warm ones, summed up as medians.
 *
 *   node --import tsx bench/micro/layers.ts [rounds (6)] [n (50000)] [clients (ours,platform,undici,reference)]
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Batch from "@ubiops-effect/stream/Batch"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { inputs } from "../clients/harness.js"
import { project } from "../lib/context.js"
import { defaultOptions, runBatch } from "../reference/batch.js"
import { ReferenceClient } from "../reference/http.js"
import { startInstantEmulator } from "./emulator.js"

const rounds = Number(process.argv[2] ?? 6)
const n = Number(process.argv[3] ?? 50_000)
const known = ["ours", "platform", "undici", "reference"]
const clients = (process.argv[4] ?? known.join(",")).split(",")
const unknown = clients.filter((client) => !known.includes(client))
if (unknown.length > 0) throw new Error(`unknown client(s) ${unknown.join(", ")}: choose among ${known.join(", ")}`)
if (!(rounds >= 1 && n >= 1)) throw new Error("rounds and n must be positive numbers")
const token = "layers-token"
const target: PipelineTarget = { project, pipeline: "instant" }

const emulator = await startInstantEmulator(token, 250_000)

const pipelinePath = `/projects/${target.project}/pipelines/${target.pipeline}`

/** Only the two operations `Batch.run` calls without failures: `createBatch` and `collect`. */
const bareService = (
  post: (path: string, body: unknown) => Effect.Effect<unknown>
) =>
  ({
    createBatch: (_target: PipelineTarget, data: ReadonlyArray<unknown>) => post("/requests/batch", data),
    collect: (_target: PipelineTarget, ids: ReadonlyArray<string>) => post("/requests/collect", ids)
  }) as unknown as PipelineRequests.Service

const platformLayer = Layer.effect(
  PipelineRequests.PipelineRequests,
  Effect.map(
    HttpClient.HttpClient,
    (client) =>
      bareService((path, body) =>
        HttpClientRequest.post(emulator.baseUrl + pipelinePath + path, {
          headers: { authorization: `Token ${token}`, accept: "application/json" }
        }).pipe(
          HttpClientRequest.bodyUnsafeJson(body),
          client.execute,
          Effect.flatMap((response) => response.text),
          Effect.map((text): unknown => JSON.parse(text)),
          Effect.orDie
        )
      )
  )
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const raw = new ReferenceClient({ baseUrl: emulator.baseUrl, token })
const undiciLayer = Layer.succeed(
  PipelineRequests.PipelineRequests,
  bareService((path, body) =>
    Effect.promise(() =>
      path === "/requests/batch"
        ? raw.createBatch(target, body as ReadonlyArray<unknown>)
        : raw.collect(target, body as ReadonlyArray<string>)
    )
  )
)

const oursLayer = PipelineRequests.layer({ token: Redacted.make(token), host: emulator.baseUrl }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

const effectRun = (layer: Layer.Layer<PipelineRequests.PipelineRequests>) => (count: number) =>
  Batch.run(target, inputs(count)).pipe(
    Stream.runForEachChunk((chunk) => Effect.sync(() => Chunk.size(chunk))),
    Effect.provide(layer),
    Effect.runPromise
  )

const runs: Record<string, (count: number) => Promise<unknown>> = {
  ours: effectRun(oursLayer),
  platform: effectRun(platformLayer),
  undici: effectRun(undiciLayer),
  reference: (count) => runBatch(raw, target, inputs(count), defaultOptions, () => {})
}

try {
  for (const client of clients) await runs[client](2_000)
  const cpu: Record<string, Array<number>> = Object.fromEntries(clients.map((client) => [client, []]))
  for (let round = 1; round <= rounds; round++) {
    const line: Array<string> = []
    // rotated each round, so that no client always runs right after the same other one
    const order = clients.map((_, i) => clients[(i + round - 1) % clients.length])
    for (const client of order) {
      const before = process.cpuUsage()
      const started = performance.now()
      await runs[client](n)
      const wall = performance.now() - started
      const used = process.cpuUsage(before)
      const perResult = (used.user + used.system) / n
      cpu[client].push(perResult)
      line.push(`${client} ${perResult.toFixed(1)} µs (${Math.round(wall)} ms)`)
    }
    console.log(`round ${round}: ${line.join(", ")}`)
  }
  // the second half of the rounds, where the JIT has settled: the median of each client
  const warm = (client: string) => {
    const sorted = cpu[client].slice(Math.floor(rounds / 2)).sort((a, b) => a - b)
    return sorted[Math.floor((sorted.length - 1) / 2)]
  }
  console.log(`warm (median of rounds ${Math.floor(rounds / 2) + 1}..${rounds}), client CPU per result:`)
  for (const client of clients) console.log(`  ${client.padEnd(10)} ${warm(client).toFixed(1)} µs`)
  if (clients.length === 4) {
    console.log(
      `  core ${(warm("ours") - warm("platform")).toFixed(1)} µs, HttpClient ${
        (warm("platform") - warm("undici")).toFixed(1)
      } µs, stream package and Effect runtime ${(warm("undici") - warm("reference")).toFixed(1)} µs`
    )
  }
} finally {
  await raw.close()
  await emulator.stop()
}
