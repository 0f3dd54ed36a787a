/**
 * Typed pipeline handles: a pipeline with an input and an output schema, called like a function.
 *
 * ```ts
 * import { Pipeline } from "@ubiops-effect/core"
 * import { Schema } from "effect"
 *
 * const Sentiment = Pipeline.make({
 *   project: "demo",
 *   pipeline: "sentiment",
 *   input: Schema.Struct({ text: Schema.String }),
 *   output: Schema.Struct({ score: Schema.Number })
 * })
 *
 * // Effect<{ readonly score: number }, PipelineError, PipelineRequests>
 * const score = Sentiment.request({ text: "lovely" })
 * ```
 *
 * @since 1.0.0
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { traced } from "./internal/tracing.js"
import type { PipelineRequestCreateResponse } from "./Models.js"
import {
  type CreateOptions,
  PipelineRequests,
  type PipelineTarget,
  type ReadError,
  type RequestData
} from "./PipelineRequests.js"
import { FailedSubRequest, InvalidRequest, OutputDecodeError, PipelineRequestFailed } from "./UbiOpsError.js"

/**
 * What a typed pipeline request can fail with: the call's errors, a failed run, an output that does not
 * match the output schema.
 *
 * @since 1.0.0
 * @category errors
 */
export type PipelineError = ReadError | PipelineRequestFailed | OutputDecodeError

/**
 * @since 1.0.0
 * @category models
 */
export interface Pipeline<I, O> {
  readonly target: PipelineTarget
  /** Encodes an input with the input schema: the data sent to UbiOps. */
  readonly encodeInput: (input: I) => Effect.Effect<RequestData, InvalidRequest>
  /** Decodes the `result` of a completed request with the output schema. */
  readonly decodeOutput: (result: unknown, requestId: string) => Effect.Effect<O, OutputDecodeError>
  /** The typed error of a request that ended with status `failed`. */
  readonly failure: (response: FailedRun) => PipelineRequestFailed
  /** A direct request: encodes the input, runs the pipeline, decodes the output. */
  readonly request: (input: I, options?: CreateOptions) => Effect.Effect<O, PipelineError, PipelineRequests>
}

/**
 * The fields of a finished request that say why it failed.
 *
 * @since 1.0.0
 * @category models
 */
export type FailedRun = Pick<
  PipelineRequestCreateResponse,
  "id" | "version" | "error_message" | "deployment_requests" | "operator_requests" | "pipeline_requests"
>

const failedSubRequest = (run: FailedRun): FailedSubRequest | null => {
  const lists = [
    ["deployment", run.deployment_requests],
    ["operator", run.operator_requests],
    ["pipeline", run.pipeline_requests]
  ] as const
  for (const [kind, list] of lists) {
    const failed = list.find((sub) => sub.status === "failed")
    if (failed !== undefined) {
      return new FailedSubRequest({
        kind,
        id: failed.id,
        pipelineObject: failed.pipeline_object,
        errorMessage: failed.error_message
      })
    }
  }
  return null
}

const issueOf = (error: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(error)

/**
 * @since 1.0.0
 * @category constructors
 */
export const make = <I, IE extends RequestData, O, OE>(options: {
  readonly project: string
  readonly pipeline: string
  readonly version?: string | undefined
  readonly input: Schema.Schema<I, IE>
  readonly output: Schema.Schema<O, OE>
}): Pipeline<I, O> => {
  const target: PipelineTarget = { project: options.project, pipeline: options.pipeline, version: options.version }
  const encode = Schema.encode(options.input)
  const decode = Schema.decodeUnknown(options.output)

  const encodeInput = (input: I) =>
    Effect.mapError(encode(input), (error) =>
      new InvalidRequest({
        operation: options.version === undefined ? "pipelineRequestsCreate" : "pipelineVersionRequestsCreate",
        reason: `the input does not match the input schema of ${options.pipeline}: ${issueOf(error)}`
      }))

  const decodeOutput = (result: unknown, requestId: string) =>
    Effect.mapError(
      decode(result),
      (error) => new OutputDecodeError({ pipeline: options.pipeline, requestId, issue: issueOf(error) })
    )

  const failure = (run: FailedRun) =>
    new PipelineRequestFailed({
      project: options.project,
      pipeline: options.pipeline,
      version: run.version,
      requestId: run.id,
      errorMessage: run.error_message,
      failedSubRequest: failedSubRequest(run)
    })

  const request = (input: I, createOptions?: CreateOptions) =>
    Effect.gen(function*() {
      const data = yield* encodeInput(input)
      const pipelineRequests = yield* PipelineRequests
      const response = yield* pipelineRequests.create(target, data, createOptions)
      if (response.status !== "completed") return yield* Effect.fail(failure(response))
      return yield* decodeOutput(response.result, response.id)
    }).pipe(traced("Pipeline.request", "internal", { "ubiops.pipeline": options.pipeline }))

  return { target, encodeInput, decodeOutput, failure, request }
}
