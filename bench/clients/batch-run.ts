/**
 * `Batch.run` alone over a JSONL file, as the `ubiops-effect batch` command runs it (the same transport, window and
 * concurrency) but without the command: no checks of the input, no output file, no checkpoint, no progress line.
 * Scenario 9 runs it next to the command to tell the library's share of the command's CPU from the command's own.
 *
 *   node batch-run.mjs <input.jsonl>   (UBIOPS_API_HOST, UBIOPS_API_TOKEN)
 *
 * Prints `{ "results": N, "runCpuSeconds": S }` on stdout: the CPU of the process from the first input read to the
 * last result (start-up excluded).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Batch from "@ubiops-effect/stream/Batch"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { createReadStream } from "node:fs"
import { createInterface } from "node:readline"

const input = process.argv[2]!
const client = PipelineRequests.layer({
  token: Redacted.make(process.env.UBIOPS_API_TOKEN ?? ""),
  host: process.env.UBIOPS_API_HOST
}).pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
)

const lines = Stream.fromAsyncIterable(
  createInterface({ input: createReadStream(input), crlfDelay: Infinity }),
  (error) => new Error(String(error))
).pipe(Stream.map((line) => JSON.parse(line) as Record<string, unknown>))

const started = process.cpuUsage()
let results = 0
await Batch.run({ project: "demo", pipeline: "echo" }, lines, { window: 10_000, concurrency: 4 }).pipe(
  Stream.runForEachChunk((chunk) => Effect.sync(() => (results += chunk.length))),
  Effect.provide(client),
  Effect.runPromise
)
const used = process.cpuUsage(started)
process.stdout.write(`${JSON.stringify({ results, runCpuSeconds: (used.user + used.system) / 1e6 })}\n`)
