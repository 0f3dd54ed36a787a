/**
 * The HTTP backend of the `PipelineRequests` service: each call under the client's call policy (`caller.ts`), with
 * the caller's overrides resolved against the client's settings, and the `requests/stream` body read as events.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { PipelineRequestCreateResponse } from "../Models.js"
import type { CallOptions, StreamEvent } from "../PipelineRequests.js"
import type { Backend } from "../PipelineRequestsBackend.js"
import { DecodeError, TransportError } from "../UbiOpsError.js"
import type * as Caller from "./caller.js"

/** Added to a direct request's pipeline timeout to make its deadline. */
export const directRequestMargin = Duration.seconds(30)

const resolvePolicy = (settings: Caller.CallerSettings, options: CallOptions | undefined): Caller.CallPolicy => ({
  retry: options?.retry === undefined ? settings.retry : { ...settings.retry, ...options.retry },
  attemptTimeout: options?.attemptTimeout === undefined
    ? settings.attemptTimeout
    : Duration.decode(options.attemptTimeout),
  callTimeout: options?.callTimeout === undefined ? settings.callTimeout : Duration.decode(options.callTimeout)
})

/** A direct request runs as long as its pipeline timeout: its deadlines follow that timeout. */
const directPolicy = (
  settings: Caller.CallerSettings,
  options: CallOptions | undefined,
  pipelineTimeoutSeconds: number
): Caller.CallPolicy => {
  const policy = resolvePolicy(settings, options)
  const attemptTimeout = options?.attemptTimeout === undefined
    ? Duration.sum(Duration.seconds(pipelineTimeoutSeconds), directRequestMargin)
    : policy.attemptTimeout
  const callTimeout = options?.callTimeout === undefined
    ? Duration.sum(attemptTimeout, settings.callTimeout)
    : policy.callTimeout
  return { ...policy, attemptTimeout, callTimeout }
}

const policyOf = (
  settings: Caller.CallerSettings,
  call: { readonly options: CallOptions | undefined; readonly pipelineTimeoutSeconds?: number | undefined }
) =>
  call.pipelineTimeoutSeconds === undefined
    ? resolvePolicy(settings, call.options)
    : directPolicy(settings, call.options, call.pipelineTimeoutSeconds)

const decodeFinal = Schema.decodeUnknownEither(PipelineRequestCreateResponse)

export const make = (caller: Caller.Caller): Backend => ({
  call: (call) => caller.call(call.operation, call.request, call.target, policyOf(caller.settings, call)),
  stream: (call) => {
    const policy = policyOf(caller.settings, call)
    return Stream.unwrap(Effect.map(
      caller.open(call.operation, call.request, call.target, policy),
      (reply) => {
        const where = { operation: call.operation, method: reply.method, path: reply.path }
        const malformed = (issue: string, line: string) =>
          new DecodeError({ ...where, status: reply.status, issue, bodyExcerpt: line })
        let final = false
        return reply.value.stream.pipe(
          Stream.mapError((error) =>
            new TransportError({ ...where, mayHaveReachedServer: true, reason: "the stream broke off", cause: error })
          ),
          Stream.decodeText(),
          Stream.splitLines,
          Stream.filter((line) => line !== "" && !line.startsWith("event:") && !line.startsWith("update:")),
          Stream.mapEffect((line): Effect.Effect<StreamEvent, DecodeError> => {
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
          )
        )
      }
    ))
  },
  retryBudget: caller.settings.budget
})
