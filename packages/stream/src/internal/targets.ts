/**
 * What a batch runs against, an untyped target or a typed `Pipeline`, and what that changes: how inputs are
 * encoded and how finished requests become results.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { Pipeline } from "@ubiops-effect/core/Pipeline"
import type { PipelineTarget, RequestData } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import type { Result } from "../Batch.js"
import type { Ended } from "../PollingRule.js"
import { unconfirmedId } from "./reconciler.js"

export type Target<I, O> = PipelineTarget | Pipeline<I, O>

export const isPipeline = <I, O>(target: Target<I, O>): target is Pipeline<I, O> => "encodeInput" in target

export const targetOf = <I, O>(target: Target<I, O>): PipelineTarget => isPipeline(target) ? target.target : target

export const encoder = <I, O>(target: Target<I, O>) =>
  isPipeline(target)
    ? (inputs: ReadonlyArray<I>) => Effect.forEach(inputs, target.encodeInput)
    : (inputs: ReadonlyArray<I>) => Effect.succeed(inputs as unknown as ReadonlyArray<RequestData>)

type Done<I> = Ended<I, PipelineRequestDetail>

/** A request without a detail: its create was not confirmed (no id), or the poll did not find it. */
const goneOrUnconfirmed = <I>({ id, index, input }: Done<I>): Result<I, never> =>
  id === unconfirmedId ? { status: "unconfirmed", index, input } : { status: "gone", index, input, requestId: id }

const untypedResult = <I>(finished: Done<I>): Result<I, unknown> => {
  const detail = finished.detail
  const { id: requestId, index, input } = finished
  if (detail === undefined) return goneOrUnconfirmed(finished)
  switch (detail.status) {
    case "completed":
      return { status: "completed", index, input, requestId, detail, output: detail.result }
    case "failed":
      return { status: "failed", index, input, requestId, detail, errorMessage: detail.error_message }
    default:
      return { status: "cancelled", index, input, requestId, detail }
  }
}

const typedResults = <I, O>(pipeline: Pipeline<I, O>) => (finished: Array<Done<I>>) =>
  Effect.forEach(finished, (done): Effect.Effect<Result<I, O>> => {
    const detail = done.detail
    if (detail === undefined) return Effect.succeed(goneOrUnconfirmed(done))
    const base = { index: done.index, input: done.input, requestId: done.id, detail }
    if (detail.status === "completed") {
      return Effect.match(pipeline.decodeOutput(detail.result, detail.id), {
        onSuccess: (output): Result<I, O> => ({ ...base, status: "completed", output }),
        onFailure: (error): Result<I, O> => ({ ...base, status: "failed", errorMessage: error.message, error })
      })
    }
    if (detail.status === "failed") {
      return Effect.succeed({
        ...base,
        status: "failed",
        errorMessage: detail.error_message,
        error: pipeline.failure(detail)
      })
    }
    return Effect.succeed({ ...base, status: "cancelled" })
  })

/** The results of finished requests, decoded for a typed `Pipeline`. */
export const resultsOf = <I, O>(
  target: Target<I, O>
): (finished: Array<Done<I>>) => Effect.Effect<ReadonlyArray<Result<I, unknown>>> =>
  isPipeline(target) ? typedResults(target) : (finished) => Effect.succeed(finished.map(untypedResult))
