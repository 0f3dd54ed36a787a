/**
 * The in-process backend of the core `PipelineRequests` service: each operation is checked as the client checks
 * it before sending (`InvalidRequest`, nothing counted), decoded as the server decodes it, exposed to the faults
 * in force, run on the engine (`engineOperations`), and its answer read as the client reads a response (the same
 * codecs and the same status-to-error mapping). There are no retries: those belong to the HTTP client.
 */
import * as Headers from "@effect/platform/Headers"
import { PipelineRequestCreateResponse } from "@ubiops-effect/core/Models"
import type { ReadError, StreamEvent } from "@ubiops-effect/core/PipelineRequests"
import type { OperationId } from "@ubiops-effect/core/PipelineRequestsApi"
import * as Backend from "@ubiops-effect/core/PipelineRequestsBackend"
import { type CallError, type DecodeError, InvalidRequest, TransportError } from "@ubiops-effect/core/UbiOpsError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { apiRoot } from "../EmulatorApi.js"
import type * as Engine from "../Engine.js"
import type * as Faults from "../Faults.js"
import type * as Stats from "../Stats.js"
import * as EngineOperations from "./engineOperations.js"

/** What the in-process backend needs of an emulator. */
export interface EmulatorParts {
  readonly engine: Engine.Engine
  readonly faults: Faults.Faults
  readonly counters: Stats.Counters
  readonly now: () => number
}

const decodeCreate = Schema.decodeUnknownSync(PipelineRequestCreateResponse)

const noHeaders = Headers.empty

export const make = (emulator: EmulatorParts): Backend.Backend => {
  const { counters, engine, faults } = emulator

  /** One call: validated, counted, exposed to the faults, performed, its outcome counted. */
  const invoke = (
    operation: OperationId,
    request: Backend.RequestOf<OperationId>,
    onPartial?: (chunk: string) => void
  ): Effect.Effect<{ readonly outcome: EngineOperations.Outcome; readonly path: string }, CallError> =>
    Effect.suspend(() => {
      const codec = Backend.codec(operation)
      const decoded = codec.decodeRequest(request)
      if (Either.isLeft(decoded)) return Effect.fail(new InvalidRequest({ operation, reason: decoded.left }))
      const where = { operation, method: codec.method, path: apiRoot + decoded.right.httpPath }
      counters.call(operation)
      const verdict = faults.decide(emulator.now(), codec.isCreate)
      if (verdict.rateLimited) {
        counters.response(429)
        const window = faults.window(emulator.now())
        return Effect.fail(
          Backend.statusError(
            where,
            429,
            "Rate limit exceeded (emulated fault)",
            Headers.fromInput({ "x-ratelimit-reset": String(window.resetSeconds) }),
            emulator.now()
          )
        )
      }
      const dropped = () =>
        new TransportError({
          ...where,
          mayHaveReachedServer: true,
          reason: "the connection was dropped (emulated fault)"
        })
      const outcome = Effect.suspend((): Effect.Effect<EngineOperations.Outcome, CallError> => {
        if (verdict.errorStatus !== undefined) {
          counters.response(verdict.errorStatus)
          return Effect.fail(
            Backend.statusError(
              where,
              verdict.errorStatus,
              `Emulated fault: ${verdict.errorStatus}`,
              noHeaders,
              emulator.now()
            )
          )
        }
        if (verdict.drop === "before") {
          counters.dropped("before")
          return Effect.fail(dropped())
        }
        return EngineOperations.run(engine, operation, decoded.right, onPartial).pipe(
          Effect.tapBoth({
            onFailure: (error) => Effect.sync(() => counters.response(error.status)),
            onSuccess: () =>
              Effect.sync(() =>
                verdict.drop === "after" ? counters.dropped("after") : counters.response(codec.successStatus)
              )
          }),
          Effect.mapError((error) =>
            Backend.statusError(where, error.status, error.message, noHeaders, emulator.now())
          ),
          Effect.flatMap((value) => verdict.drop === "after" ? Effect.fail(dropped()) : Effect.succeed(value))
        )
      })
      const delayed = verdict.latencyMillis > 0
        ? Effect.zipRight(Effect.sleep(Duration.millis(verdict.latencyMillis)), outcome)
        : outcome
      return Effect.map(delayed, (outcome) => ({ outcome, path: where.path }))
    })

  /** The outcome as the client would read it from the HTTP response: the same codec decodes it. */
  const reply = (
    operation: OperationId,
    path: string,
    outcome: EngineOperations.Outcome
  ) =>
    Effect.gen(function*() {
      const codec = Backend.codec(operation)
      const where = { operation, method: codec.method, path }
      const status = codec.successStatus
      switch (outcome._tag) {
        case "File": {
          const headers = Headers.fromInput({
            "content-type": outcome.file.contentType,
            "content-disposition": `attachment; filename="${outcome.file.filename}"`
          })
          const bytes = new TextEncoder().encode(outcome.file.body)
          const body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
          const value = yield* codec.decodeResponse(where, status, body)
          return { value, status, headers, method: where.method, path }
        }
        case "Empty": {
          const value = yield* codec.decodeResponse(where, status, "")
          return { value, status, headers: noHeaders, method: where.method, path }
        }
        case "Json":
        case "Direct": {
          const body = outcome._tag === "Json" ? outcome.body : yield* outcome.run.response
          const value = yield* codec.decodeResponse(where, status, JSON.stringify(body))
          return { value, status, headers: noHeaders, method: where.method, path }
        }
      }
    })

  return {
    call: <Op extends OperationId>(call: Backend.Call<Op>) =>
      invoke(call.operation, call.request as unknown as Backend.RequestOf<OperationId>).pipe(
        Effect.flatMap(({ outcome, path }) => reply(call.operation, path, outcome))
      ) as Effect.Effect<Backend.Reply<Backend.SuccessOf<Op>>, CallError | Backend.DecodeErrorOf<Op, DecodeError>>,
    stream: (call) =>
      Stream.asyncPush<StreamEvent, ReadError>((emit) =>
        invoke(
          call.operation,
          call.request as unknown as Backend.RequestOf<OperationId>,
          (chunk) => emit.single({ _tag: "Partial", data: chunk })
        ).pipe(
          Effect.flatMap(({ outcome }) =>
            outcome._tag === "Direct" ? outcome.run.response : Effect.dieMessage("a stream runs a direct request")
          ),
          Effect.match({
            onFailure: (error) => emit.fail(error),
            onSuccess: (response) => {
              emit.single({ _tag: "Final", response: decodeCreate(response) })
              emit.end()
            }
          }),
          Effect.forkScoped
        )
      )
  }
}
