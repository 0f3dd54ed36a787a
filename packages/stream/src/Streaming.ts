/**
 * A direct request over the `requests/stream` endpoint, as a `Stream` of the pipeline's partial outputs followed by
 * the final response.
 *
 * @since 1.0.0
 */
import type { PipelineRequestCreateResponse } from "@ubiops-effect/core/Models"
import type { Pipeline, PipelineError } from "@ubiops-effect/core/Pipeline"
import {
  PipelineRequests,
  type PipelineTarget,
  type ReadError,
  type RequestData,
  type StreamEvent,
  type StreamOptions
} from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { isPipeline, type Target } from "./internal/targets.js"

/**
 * An event of a typed streaming request: partial outputs, then the decoded output.
 *
 * @since 1.0.0
 * @category models
 */
export type TypedStreamEvent<O> =
  | { readonly _tag: "Partial"; readonly data: string }
  | { readonly _tag: "Final"; readonly response: PipelineRequestCreateResponse; readonly output: O }

/**
 * A direct request over the `requests/stream` endpoint: the pipeline's partial outputs as they are produced,
 * then the final response. Over a typed `Pipeline`, the input is encoded and the final output decoded; a failed
 * run fails the stream with `PipelineRequestFailed`.
 *
 * @since 1.0.0
 * @category constructors
 */
export function streamRequest<I, O>(
  pipeline: Pipeline<I, O>,
  input: I,
  options?: StreamOptions
): Stream.Stream<TypedStreamEvent<O>, PipelineError, PipelineRequests>
export function streamRequest(
  target: PipelineTarget,
  data: RequestData,
  options?: StreamOptions
): Stream.Stream<StreamEvent, ReadError, PipelineRequests>
export function streamRequest<I, O>(
  target: Target<I, O>,
  input: I | RequestData,
  options?: StreamOptions
): Stream.Stream<StreamEvent | TypedStreamEvent<O>, PipelineError, PipelineRequests> {
  return Stream.unwrap(Effect.gen(function*() {
    const service = yield* PipelineRequests
    if (!isPipeline(target)) return service.createStreaming(target, input as RequestData, options)
    const data = yield* target.encodeInput(input as I)
    return Stream.mapEffect(
      service.createStreaming(target.target, data, options),
      (event): Effect.Effect<TypedStreamEvent<O>, PipelineError> => {
        if (event._tag === "Partial") return Effect.succeed(event)
        if (event.response.status !== "completed") return Effect.fail(target.failure(event.response))
        return Effect.map(
          target.decodeOutput(event.response.result, event.response.id),
          (output) => ({ _tag: "Final", response: event.response, output })
        )
      }
    )
  }))
}
