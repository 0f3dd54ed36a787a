/**
 * The HTTP backend of the `PipelineRequests` service: each call under the client's call policy (`caller.ts`), with
 * the caller's overrides resolved against the client's settings, and the `requests/stream` body read as events.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { PipelineRequestCreateResponse } from "../Models.js"
import type { CallOptions, StreamEvent } from "../PipelineRequests.js"
import type { OperationId } from "../PipelineRequestsApi.js"
import type { Backend, Call } from "../PipelineRequestsBackend.js"
import { DecodeError, InvalidRequest, TransportError } from "../UbiOpsError.js"
import * as BoundedBody from "./boundedBody.js"
import type * as Caller from "./caller.js"
import * as Options from "./options.js"
import { transportError } from "./responses.js"

/** Added to a direct request's pipeline timeout to make its deadline. */
export const directRequestMargin = Duration.seconds(30)

const resolvePolicy = (
  settings: Caller.CallerSettings,
  options: CallOptions | undefined
): Either.Either<Caller.CallPolicy, string> =>
  Either.gen(function*() {
    const retry = options?.retry === undefined
      ? settings.retry
      : yield* Options.checkRetry({ ...settings.retry, ...options.retry })
    const attemptTimeout = options?.attemptTimeout === undefined
      ? settings.attemptTimeout
      : yield* Options.checkDuration("attemptTimeout", options.attemptTimeout)
    const callTimeout = options?.callTimeout === undefined
      ? settings.callTimeout
      : yield* Options.checkDuration("callTimeout", options.callTimeout)
    return { retry, attemptTimeout, callTimeout }
  })

/** A direct request runs as long as its pipeline timeout: its deadlines follow that timeout. */
const directPolicy = (
  settings: Caller.CallerSettings,
  options: CallOptions | undefined,
  pipelineTimeoutSeconds: number
): Either.Either<Caller.CallPolicy, string> =>
  Either.map(resolvePolicy(settings, options), (policy) => {
    const attemptTimeout = options?.attemptTimeout === undefined
      ? Duration.sum(Duration.seconds(pipelineTimeoutSeconds), directRequestMargin)
      : policy.attemptTimeout
    const callTimeout = options?.callTimeout === undefined
      ? Duration.sum(attemptTimeout, settings.callTimeout)
      : policy.callTimeout
    return { ...policy, attemptTimeout, callTimeout }
  })

/** The policy of one call; invalid options (the client's, or the call's own) are an `InvalidRequest`. */
const policyOf = (
  settings: Caller.CallerSettings,
  invalidClientOption: string | undefined,
  call: Pick<Call<OperationId>, "operation" | "options" | "pipelineTimeoutSeconds">
): Either.Either<Caller.CallPolicy, InvalidRequest> => {
  if (invalidClientOption !== undefined) {
    return Either.left(new InvalidRequest({ operation: call.operation, reason: invalidClientOption }))
  }
  const timeoutSeconds = call.pipelineTimeoutSeconds
  const policy = timeoutSeconds === undefined || !Number.isFinite(timeoutSeconds)
    ? resolvePolicy(settings, call.options)
    : directPolicy(settings, call.options, timeoutSeconds)
  return Either.mapLeft(policy, (reason) => new InvalidRequest({ operation: call.operation, reason }))
}

const decodeFinal = Schema.decodeUnknownEither(PipelineRequestCreateResponse)

/**
 * The HTTP backend on a caller. `invalidClientOption` says what is wrong with the client's options, if anything:
 * every call then fails with `InvalidRequest` saying so.
 */
export const make = (caller: Caller.Caller, invalidClientOption?: string | undefined): Backend => ({
  call: (call) =>
    Effect.suspend(() =>
      Either.match(policyOf(caller.settings, invalidClientOption, call), {
        onLeft: Effect.fail,
        onRight: (policy) => caller.call(call.operation, call.request, call.target, policy)
      })
    ),
  stream: (call) => {
    const checked = policyOf(caller.settings, invalidClientOption, call)
    if (Either.isLeft(checked)) return Stream.fail(checked.left)
    const policy = checked.right
    return Stream.unwrap(Effect.map(
      caller.open(call.operation, call.request, call.target, policy),
      (reply) => {
        const where = { operation: call.operation, method: reply.method, path: reply.path }
        const malformed = (issue: string, line: string) =>
          new DecodeError({ ...where, status: reply.status, issue, bodyExcerpt: line })
        let final = false
        let tooLong = false
        const lineTooLong = malformed(
          `a line is longer than ${caller.settings.maxResponseBytes} bytes (maxResponseBytes); not read on`,
          ""
        )
        return reply.value.stream.pipe(
          // a stream that broke off may have reached the server: a lost connection (with its cause and code)
          Stream.mapError((error) => transportError(where, error)),
          BoundedBody.capLines(caller.settings.maxResponseBytes, () => {
            tooLong = true
            return lineTooLong
          }),
          Stream.decodeText(),
          Stream.splitLines,
          Stream.filter((line) => line !== "" && !line.startsWith("event:") && !line.startsWith("update:")),
          Stream.mapEffect((line): Effect.Effect<StreamEvent, DecodeError> => {
            // the lines are split after the cap: the part of a line too long comes out as the stream fails
            if (tooLong) return Effect.fail(lineTooLong)
            if (line.startsWith("data:")) return Effect.succeed({ _tag: "Partial", data: line.slice(5) })
            let json: unknown
            try {
              json = JSON.parse(line)
            } catch {
              return Effect.fail(malformed("a line is neither data nor the final JSON response", line))
            }
            const decoded = decodeFinal(json)
            if (decoded._tag === "Left") return Effect.fail(malformed("the final response does not match", line))
            final = true
            return Effect.succeed({ _tag: "Final", response: decoded.right })
          }),
          Stream.concat(
            Stream.suspend(() =>
              final ? Stream.empty : Stream.fail(malformed("the stream ended without its final response", ""))
            )
          ),
          Stream.timeoutFail(
            () =>
              new TransportError({
                ...where,
                mayHaveReachedServer: true,
                reason: `no data for ${Duration.format(policy.attemptTimeout)}`
              }),
            policy.attemptTimeout
          ),
          Stream.mapError(caller.redact)
        )
      }
    ))
  },
  retryBudget: caller.settings.budget
})
