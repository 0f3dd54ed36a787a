/**
 * **Advanced.** The seam between the `PipelineRequests` service and what carries its operations. Applications do
 * not need this module; it is for implementing the service on something other than HTTP, as the emulator's
 * in-process service (`Emulator.layerPipelineRequests`) does.
 *
 * The service's methods are mapped to the operations of `PipelineRequestsApi` once (`makeService`): which
 * operation, its path, query and body, and what its response becomes. A `Backend` only runs one operation. The
 * contract is compiled into codecs once (`codec`), and an HTTP status becomes its typed error in one place
 * (`statusError`), whichever backend runs the call.
 *
 * @since 1.0.0
 */
import type * as Headers from "@effect/platform/Headers"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as Endpoints from "./internal/endpoints.js"
import * as Operations from "./internal/operations.js"
import * as Responses from "./internal/responses.js"
import type { CallOptions, PipelineTarget, ReadError, Service, StreamEvent } from "./PipelineRequests.js"
import type { OperationId } from "./PipelineRequestsApi.js"
import type { RetryBudget } from "./RetryBudget.js"
import type { CallError, DecodeError, ResponseError } from "./UbiOpsError.js"

/**
 * The request of one operation in decoded (user-facing) form: path, query and body.
 *
 * @since 1.0.0
 * @category models
 */
export type RequestOf<Op extends OperationId> = Endpoints.RequestOf<Op>

/**
 * What a successful response of one operation decodes to.
 *
 * @since 1.0.0
 * @category models
 */
export type SuccessOf<Op extends OperationId> = Endpoints.SuccessOf<Op>

/**
 * The decoding error of one operation: only operations with a typed JSON body can fail to decode.
 *
 * @since 1.0.0
 * @category models
 */
export type DecodeErrorOf<Op extends OperationId, E> = Endpoints.DecodeErrorOf<Op, E>

/**
 * The operations whose response is a stream of events.
 *
 * @since 1.0.0
 * @category models
 */
export type StreamOperation = "pipelineRequestsStream" | "pipelineVersionRequestsStream"

/**
 * One call of one operation, as the service hands it to a backend.
 *
 * @since 1.0.0
 * @category models
 */
export interface Call<Op extends OperationId> {
  readonly operation: Op
  readonly request: RequestOf<Op>
  readonly target: PipelineTarget
  /** The caller's overrides of the client's policies. */
  readonly options: CallOptions | undefined
  /** A direct or streaming request runs as long as its pipeline timeout (seconds): its deadlines follow it. */
  readonly pipelineTimeoutSeconds?: number | undefined
}

/**
 * A successful response: the decoded value, and where it came from.
 *
 * @since 1.0.0
 * @category models
 */
export interface Reply<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
  readonly method: string
  /** The URL path, without host and query string. */
  readonly path: string
}

/**
 * Runs operations. `call` answers with the decoded response (or the typed error the client would give);
 * `stream` runs a streaming request.
 *
 * @since 1.0.0
 * @category models
 */
export interface Backend {
  readonly call: <Op extends OperationId>(
    call: Call<Op>
  ) => Effect.Effect<Reply<SuccessOf<Op>>, CallError | Endpoints.DecodeErrorOf<Op, DecodeError>>
  readonly stream: (call: Call<StreamOperation>) => Stream.Stream<StreamEvent, ReadError>
  /** The budget the backend's retries pay, if it retries. */
  readonly retryBudget?: RetryBudget | undefined
}

/**
 * The `PipelineRequests` service on a backend: each method mapped to its operation, once.
 *
 * @since 1.0.0
 * @category constructors
 */
export const makeService: (backend: Backend) => Service = Operations.makeService

/**
 * The codec of one operation, compiled from `PipelineRequestsApi` on first use: how the client encodes its request
 * (and what it refuses to send), how the server decodes it, how a success and an error body are read.
 *
 * @since 1.0.0
 * @category codecs
 */
export const codec: (operation: OperationId) => EndpointCodec = Endpoints.codec

/**
 * @since 1.0.0
 * @category codecs
 */
export type EndpointCodec = Endpoints.EndpointCodec

/**
 * The typed error of a response that is not a success: `Unauthorized`, `Forbidden`, `NotFound`, `RateLimited`
 * (with the wait from `x-ratelimit-reset` or `Retry-After`), `ServerError`, else `BadRequest`.
 *
 * @since 1.0.0
 * @category errors
 */
export const statusError: (
  where: { readonly operation: OperationId; readonly method: string; readonly path: string },
  status: number,
  serverMessage: string | undefined,
  headers: Headers.Headers,
  now: number
) => ResponseError = Responses.statusError
