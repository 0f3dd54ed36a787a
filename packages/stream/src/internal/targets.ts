/**
 * What a batch runs against, an untyped target or a typed `Pipeline`, and what that changes: how inputs are
 * encoded and how finished requests become results.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { Pipeline } from "@ubiops-effect/core/Pipeline"
import type { PipelineTarget, RequestData } from "@ubiops-effect/core/PipelineRequests"
import type { OutputDecodeError } from "@ubiops-effect/core/UbiOpsError"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { Result } from "../Batch.js"
import type { Ended } from "../PollingRule.js"
import { unconfirmedId } from "./reconciler.js"

export type Target<I, O> = PipelineTarget | Pipeline<I, O>

export const isPipeline = <I, O>(target: Target<I, O>): target is Pipeline<I, O> => "encodeInput" in target

export const targetOf = <I, O>(target: Target<I, O>): PipelineTarget => isPipeline(target) ? target.target : target

/** The values of effects that are all successful `Exit`s (at hand, nothing to run), else `undefined`. */
const valuesAtHand = <A, E>(effects: ReadonlyArray<Effect.Effect<A, E>>): Array<A> | undefined => {
  const values: Array<A> = []
  for (const effect of effects) {
    if (!Exit.isExit(effect)) return undefined
    const exit = effect as Exit.Exit<A, E>
    if (!Exit.isSuccess(exit)) return undefined
    values.push(exit.value)
  }
  return values
}

/** Effects in order, as one array; those all at hand are not run, saving a fiber step each. */
const allInOrder = <A, E>(effects: ReadonlyArray<Effect.Effect<A, E>>): Effect.Effect<Array<A>, E> => {
  const values = valuesAtHand(effects)
  return values === undefined ? Effect.all(effects) : Effect.succeed(values)
}

export const encoder = <I, O>(target: Target<I, O>) =>
  isPipeline(target)
    ? (inputs: ReadonlyArray<I>) => allInOrder(inputs.map(target.encodeInput))
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

const typedResult = <I, O>(pipeline: Pipeline<I, O>, done: Done<I>): Effect.Effect<Result<I, O>> => {
  const detail = done.detail
  if (detail === undefined) return Exit.succeed(goneOrUnconfirmed(done))
  const { id: requestId, index, input } = done
  if (detail.status === "completed") {
    const completed = (output: O): Result<I, O> => ({ index, input, requestId, detail, status: "completed", output })
    const undecodable = (error: OutputDecodeError): Result<I, O> => ({
      index,
      input,
      requestId,
      detail,
      status: "failed",
      errorMessage: error.message,
      error
    })
    const decoded = pipeline.decodeOutput(detail.result, detail.id)
    // an output decoded at once (an `Exit`) is read as it is, not run
    if (Exit.isExit(decoded)) {
      const exit = decoded as Exit.Exit<O, OutputDecodeError>
      if (Exit.isSuccess(exit)) return Exit.succeed(completed(exit.value))
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure)) return Exit.succeed(undecodable(failure.value))
    }
    return Effect.match(decoded, { onSuccess: completed, onFailure: undecodable })
  }
  if (detail.status === "failed") {
    return Exit.succeed({
      index,
      input,
      requestId,
      detail,
      status: "failed",
      errorMessage: detail.error_message,
      error: pipeline.failure(detail)
    })
  }
  return Exit.succeed({ index, input, requestId, detail, status: "cancelled" })
}

const typedResults = <I, O>(pipeline: Pipeline<I, O>) => (finished: Array<Done<I>>) =>
  allInOrder(finished.map((done) => typedResult(pipeline, done)))

/** The results of finished requests, decoded for a typed `Pipeline`. */
export const resultsOf = <I, O>(
  target: Target<I, O>
): (finished: Array<Done<I>>) => Effect.Effect<ReadonlyArray<Result<I, unknown>>> =>
  isPipeline(target) ? typedResults(target) : (finished) => Effect.succeed(finished.map(untypedResult))
