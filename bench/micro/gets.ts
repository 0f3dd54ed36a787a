/**
 * Scenario 5 as the JIT warms up: rounds of `n` sequential gets with our client (`PipelineRequests.get` on
 * `NodeHttpClient.layerUndici`) and with the reference client, in turn, in one process, against an emulator in its
 * own process. The first round is close to what the benchmark's fresh process measures; the later ones show the
 * warm ratio.
 *
 *   node --import tsx bench/micro/gets.ts [rounds (6)] [n (5000)]
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { project } from "../lib/context.js"
import { ReferenceClient } from "../reference/http.js"
import { startInstantEmulator } from "./emulator.js"

const rounds = Number(process.argv[2] ?? 6)
const n = Number(process.argv[3] ?? 5_000)
const token = "gets-token"
const target: PipelineTarget = { project, pipeline: "instant" }

const emulator = await startInstantEmulator(token, 10_000)
const reference = new ReferenceClient({ baseUrl: emulator.baseUrl, token })
const runtime = ManagedRuntime.make(
  PipelineRequests.layer({ token: Redacted.make(token), host: emulator.baseUrl }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
)

try {
  const created = await reference.createBatch(target, Array.from({ length: 250 }, (_, i) => ({ i })))
  const ids = created.map((item) => item.id)
  const path = (i: number) => `/projects/${target.project}/pipelines/${target.pipeline}/requests/${ids[i % ids.length]}`
  const clients = {
    ours: (count: number) =>
      runtime.runPromise(Effect.gen(function*() {
        const service = yield* PipelineRequests.PipelineRequests
        for (let i = 0; i < count; i++) yield* service.get(target, ids[i % ids.length])
      })),
    reference: async (count: number) => {
      for (let i = 0; i < count; i++) await reference.call("GET", path(i))
    }
  }
  await clients.ours(200)
  await clients.reference(200)
  for (let round = 1; round <= rounds; round++) {
    const line: Array<string> = []
    const rate: Record<string, number> = {}
    for (const [name, run] of round % 2 === 1 ? Object.entries(clients) : Object.entries(clients).reverse()) {
      const before = process.cpuUsage()
      const started = performance.now()
      await run(n)
      const wall = performance.now() - started
      const used = process.cpuUsage(before)
      rate[name] = n / wall * 1000
      line.push(
        `${name} ${Math.round(rate[name])} calls/s, ${Math.round((used.user + used.system) / n)} µs CPU per call`
      )
    }
    console.log(`round ${round}: ${line.join("; ")}; ratio ${(rate["ours"] / rate["reference"]).toFixed(2)}x`)
  }
} finally {
  await runtime.dispose()
  await reference.close()
  await emulator.stop()
}
