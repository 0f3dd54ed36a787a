/**
 * What `ubiops-effect batch` runs once its options are parsed: the client over Node's HTTP transport, and the batch
 * job. `Cli.ts` imports this module only when a batch runs, so that `--help` and the emulator do not load it.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import type * as Progress from "@ubiops-effect/stream/Progress"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as BatchJob from "../BatchJob.js"
import type { BatchOptions } from "../Cli.js"
import * as Waiting from "../Waiting.js"

export const runBatch = (
  options: BatchOptions,
  token: Redacted.Redacted<string>,
  onProgress: ((progress: Progress.Progress) => void) | undefined,
  onStart?: (() => void) | undefined
) => {
  const waiting = Waiting.make()
  const client = PipelineRequests.layer({
    token,
    host: Option.getOrUndefined(options.host),
    transformClient: waiting.observeClient,
    onRetry: waiting.onRetry
  }).pipe(
    // node:http with keep-alive: undici would cost some 20 MB of memory for a few calls a second
    Layer.provide(NodeHttpClient.layerWithoutAgent),
    Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
  )
  return BatchJob.run({
    target: { project: options.project, pipeline: options.pipeline, version: Option.getOrUndefined(options.version) },
    input: options.input,
    output: options.output,
    inputType: options.inputType,
    onInvalid: options.onInvalid,
    onUncertain: options.onUncertain,
    resume: options.resume,
    ordered: options.ordered,
    concurrency: options.concurrency,
    window: options.window,
    showProgress: !options.noProgress,
    rerunCancelled: !options.keepCancelled,
    waiting,
    onProgress,
    onStart
  }).pipe(Effect.provide(client))
}
