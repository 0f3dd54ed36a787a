/**
 * `pnpm demo`: a few thousand requests through a pipeline with `Batch.run`, a live progress bar, and a summary.
 *
 * - Without `UBIOPS_API_TOKEN`: starts the emulator in this process (a real HTTP server on 127.0.0.1, so the whole
 *   client runs) and uses its pipeline `demo/sleep`, which waits `{"seconds": n}` and returns its input.
 * - With `UBIOPS_API_TOKEN`, `UBIOPS_PROJECT` and `UBIOPS_PIPELINE` (`UBIOPS_API_HOST` optional): the same run on
 *   UbiOps, on a pipeline that takes `{"seconds": n}` the same way.
 *
 * One input in a hundred asks for -1 seconds, which the pipeline refuses: a failed request is a result of the
 * run, not a crash. Ctrl-C stops the run and cancels on the server what it had not finished.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Pipeline, PipelineRequests } from "@ubiops-effect/core"
import { Emulator, EmulatorServer } from "@ubiops-effect/emulator"
import { Batch, type Cancellation, Progress } from "@ubiops-effect/stream"
import { Cause, Config, Console, Effect, Exit, Logger, LogLevel, Redacted, Schema, Stream } from "effect"

const count = 3_000

/** Waits 0 to 6 ms; every hundredth input asks for -1 seconds, which the pipeline refuses. */
function* inputs() {
  for (let n = 0; n < count; n++) yield { seconds: n % 100 === 42 ? -1 : (n % 7) / 1000 }
}

const format = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
const seconds = (millis: number) => `${(millis / 1000).toFixed(millis < 10_000 ? 2 : 1)} s`

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

/** How many HTTP calls the client made, counted as they are sent. */
let httpCalls = 0
const countCalls = (client: HttpClient.HttpClient) =>
  HttpClient.tapRequest(client, () => Effect.sync(() => httpCalls++))

const run = <R>(
  target: { readonly project: string; readonly pipeline: string },
  describeCalls: Effect.Effect<string, never, R>
) =>
  Effect.gen(function*() {
    // A typed handle: inputs are encoded with the input schema, outputs decoded with the output schema.
    const Sleep = Pipeline.make({
      ...target,
      input: Schema.Struct({ seconds: Schema.Number }),
      output: Schema.Struct({ seconds: Schema.Number })
    })
    yield* Console.log(`Running ${format.format(count)} requests through ${target.project}/${target.pipeline}`)

    const progress = yield* Progress.make({ total: count })
    const renderer = yield* Effect.fork(Progress.render(progress, { output: process.stdout, lineEvery: 1000 }))
    let interruption: Cancellation.Report | undefined
    const latencies: Array<number> = []
    const counts = { completed: 0, failed: 0, cancelled: 0, gone: 0, unconfirmed: 0 }
    let firstFailure: string | undefined
    const started = Date.now()

    yield* Batch.run(Sleep, inputs(), {
      progress,
      onInterrupted: (report) => Effect.sync(() => (interruption = report))
    }).pipe(
      Stream.runForEach((result) =>
        Effect.sync(() => {
          counts[result.status]++
          if (result.status === "failed") firstFailure ??= `input ${result.index}: ${result.errorMessage}`
          if (result.status === "gone" || result.status === "unconfirmed") return
          const { time_completed, time_created } = result.detail
          if (time_completed !== null) latencies.push(Date.parse(time_completed) - Date.parse(time_created))
        })
      ),
      Effect.onInterrupt(() =>
        Console.log(
          interruption === undefined
            ? "\nInterrupted: no request was outstanding."
            : `\nInterrupted: ${format.format(interruption.outstanding)} requests were outstanding: ` +
              `${format.format(interruption.cancelled)} cancelled on the server, ` +
              `${format.format(interruption.alreadyFinished)} had already finished, ` +
              `${format.format(interruption.failedToCancel)} could not be cancelled.`
        )
      )
    )
    const elapsed = Date.now() - started
    yield* renderer.await

    latencies.sort((a, b) => a - b)
    const total = counts.completed + counts.failed + counts.cancelled
    const calls = yield* describeCalls
    yield* Console.log(
      [
        "",
        "Summary",
        `  results     ${format.format(total)} in ${seconds(elapsed)}, ${
          format.format(total / (elapsed / 1000))
        } results/s`,
        `  completed   ${format.format(counts.completed)}`,
        `  failed      ${format.format(counts.failed)}${firstFailure === undefined ? "" : `   e.g. ${firstFailure}`}`,
        `  cancelled   ${format.format(counts.cancelled)}`,
        `  latency     p50 ${seconds(percentile(latencies, 50))}, p90 ${seconds(percentile(latencies, 90))}, ` +
        `p99 ${seconds(percentile(latencies, 99))}, max ${
          seconds(latencies[latencies.length - 1] ?? Number.NaN)
        } (request created to finished, queueing included)`,
        `  HTTP calls  ${calls}`
      ].join("\n")
    )
  })

const emulated = Effect.gen(function*() {
  const { baseUrl, token } = yield* EmulatorServer.EmulatorServer
  yield* Console.log(`UbiOps emulator started in this process at ${baseUrl} (set UBIOPS_API_TOKEN to use UbiOps)`)
  const callsOnTheEmulator = Effect.map(Emulator.stats, ({ calls }) => {
    const total = Object.values(calls).reduce((sum, n) => sum + n, 0)
    const byOperation = Object.entries(calls).map(([operation, n]) => `${operation} ${n}`).join(", ")
    return `${total}, as the emulator counted them: ${byOperation}`
  })
  yield* run({ project: "demo", pipeline: "sleep" }, callsOnTheEmulator).pipe(
    Effect.provide(PipelineRequests.layer({ token: Redacted.make(token), host: baseUrl }))
  )
}).pipe(Effect.provide(EmulatorServer.layerWithEmulator({ port: 0 })))

const onUbiOps = Effect.gen(function*() {
  const project = yield* Config.string("UBIOPS_PROJECT")
  const pipeline = yield* Config.string("UBIOPS_PIPELINE")
  const callsByTheClient = Effect.sync(() => `${httpCalls}, as the client counted them`)
  yield* run({ project, pipeline }, callsByTheClient).pipe(
    Effect.provide(PipelineRequests.layerConfig({ transformClient: countCalls }))
  )
})

const main: Effect.Effect<void, unknown, HttpClient.HttpClient> = process.env.UBIOPS_API_TOKEN === undefined
  ? emulated
  : onUbiOps

main.pipe(
  Effect.provide(NodeHttpClient.layerUndici),
  // Batch.run also logs its interruption report at level Info: the demo prints its own
  Logger.withMinimumLogLevel(LogLevel.Warning),
  NodeRuntime.runMain({
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? 0 : Cause.isInterruptedOnly(exit.cause) ? 130 : 1)
  })
)
