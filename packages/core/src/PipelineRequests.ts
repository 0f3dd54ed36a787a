/**
 * The `PipelineRequests` service: one method per pipeline-requests operation of the UbiOps API.
 *
 * @since 1.0.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Stream from "effect/Stream"
import { authorization } from "./ApiHost.js"
import type { ListStatus } from "./ApiParams.js"
import type * as HttpInfo from "./HttpInfo.js"
import * as Caller from "./internal/caller.js"
import * as HttpBackend from "./internal/httpBackend.js"
import * as Operations from "./internal/operations.js"
import * as Options from "./internal/options.js"
import type { PipelineRequestCreateResponse } from "./Models.js"
import {
  type OperatorRequestDetail,
  type PipelineRequestBatchCreateResponse,
  type PipelineRequestDetail,
  type PipelineRequestList,
  type PipelineRequestSingleDetail
} from "./Models.js"
import * as RateGovernor from "./RateGovernor.js"
import * as RetryBudget from "./RetryBudget.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { CallError, DecodeError } from "./UbiOpsError.js"
import { version as packageVersion } from "./version.js"

/**
 * Which pipeline a call is for. Without `version`, the pipeline's default version is used (the endpoints
 * without `/versions/{version}`).
 *
 * @since 1.0.0
 * @category models
 */
export interface PipelineTarget {
  readonly project: string
  readonly pipeline: string
  readonly version?: string | undefined
}

/**
 * A target with its version: the operator-request endpoints exist only per version.
 *
 * @since 1.0.0
 * @category models
 */
export interface VersionTarget extends PipelineTarget {
  readonly version: string
}

/**
 * Overrides of the client's policies for one call.
 *
 * @since 1.0.0
 * @category models
 */
export interface CallOptions {
  /** The retry policy of this call (merged over the client's). */
  readonly retry?: Partial<RetryPolicy.RetryPolicy> | undefined
  /** The deadline of one attempt. */
  readonly attemptTimeout?: Duration.DurationInput | undefined
  /** The deadline of the whole call, retries included. */
  readonly callTimeout?: Duration.DurationInput | undefined
}

/**
 * The input of one pipeline request: an object for structured pipelines, a string for plain ones (sent as
 * `text/plain`), or an array.
 *
 * @since 1.0.0
 * @category models
 */
export type RequestData = string | { readonly [key: string]: unknown } | ReadonlyArray<unknown>

/**
 * @since 1.0.0
 * @category models
 */
export interface CreateOptions extends CallOptions {
  /** Timeout of the pipeline request in seconds (10 to 7200; the server's default is 3600). */
  readonly timeout?: number | undefined
  /** The older, deprecated name of `timeout` (`pipeline_timeout` on the wire; 10 to 7200), sent as given, as the
   * official client does. The request's deadline follows `timeout`, else this. Only a direct create carries it: a
   * batch create has `timeout` alone. */
  readonly pipelineTimeout?: number | undefined
  /** 0 is high priority, 1 is standard. */
  readonly priority?: 0 | 1 | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface CreateBatchOptions extends CallOptions {
  /** Timeout of each pipeline request in seconds, counted from when it starts processing (10 to 259200, 72 hours, as
   * UbiOps' current documentation says; the server's default is 14400). */
  readonly timeout?: number | undefined
  /** 0 is high priority, 1 is standard. */
  readonly priority?: 0 | 1 | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface GetOptions extends CallOptions {
  /** Leave out `request_data` and `result`. */
  readonly metadataOnly?: boolean | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface ListOptions extends CallOptions {
  /** One status, or several of `completed`, `failed` and `cancelled`. The server's default is `completed`. */
  readonly status?: ListStatus | ReadonlyArray<ListStatus> | undefined
  /** 1 to 50; the server's default is 50. */
  readonly limit?: number | undefined
  readonly offset?: number | undefined
  /** Only requests created at or after this time. */
  readonly startDate?: Date | string | undefined
  /** Only requests created at or before this time. */
  readonly endDate?: Date | string | undefined
  /** Only requests whose id contains this string. */
  readonly searchId?: string | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface GetOperatorRequestOptions extends CallOptions {
  readonly metadataOnly?: boolean | undefined
  readonly pipelineRequestId?: string | undefined
  readonly pipelineObjectId?: string | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface StreamOptions extends CallOptions {
  /** Timeout of the pipeline request in seconds (10 to 7200; default 7200). */
  readonly timeout?: number | undefined
}

/**
 * What a cancel-many targets: a list of at most 250 ids, or every request in a status.
 *
 * @since 1.0.0
 * @category models
 */
export type CancelSelection = ReadonlyArray<string> | { readonly status: "pending" | "processing" }

/**
 * A downloaded input or output of a request: JSON for structured data, text for plain data.
 *
 * @since 1.0.0
 * @category models
 */
export interface RequestFile {
  readonly filename: string | undefined
  readonly contentType: string | undefined
  readonly bytes: Uint8Array
  /** The body as text (UTF-8). */
  readonly text: string
  /** The body parsed as JSON when the content type says JSON, else the text. */
  readonly data: unknown
}

/**
 * One event of a streaming request: a partial output (a `data:` line), then the final response.
 *
 * @since 1.0.0
 * @category models
 */
export type StreamEvent =
  | { readonly _tag: "Partial"; readonly data: string }
  | { readonly _tag: "Final"; readonly response: PipelineRequestCreateResponse }

/**
 * The error of an operation that decodes a response body.
 *
 * @since 1.0.0
 * @category errors
 */
export type ReadError = CallError | DecodeError

/**
 * @since 1.0.0
 * @category models
 */
export interface Service {
  /** A direct request: runs the pipeline and returns its result (`pipelineRequestsCreate`). */
  readonly create: (
    target: PipelineTarget,
    data: RequestData,
    options?: CreateOptions
  ) => Effect.Effect<PipelineRequestCreateResponse, ReadError>
  /** A batch of at most 250 queued requests (`batchPipelineRequestsCreate`). The ids come back in input order. */
  readonly createBatch: (
    target: PipelineTarget,
    data: ReadonlyArray<RequestData>,
    options?: CreateBatchOptions
  ) => Effect.Effect<ReadonlyArray<PipelineRequestBatchCreateResponse>, ReadError>
  /** One request (`pipelineRequestsGet`). */
  readonly get: (
    target: PipelineTarget,
    requestId: string,
    options?: GetOptions
  ) => Effect.Effect<PipelineRequestSingleDetail, ReadError>
  /** One page of requests, newest first (`pipelineRequestsList`). */
  readonly list: (
    target: PipelineTarget,
    options?: ListOptions
  ) => Effect.Effect<ReadonlyArray<PipelineRequestList>, ReadError>
  /** At most 250 requests by id, in no particular order (`pipelineRequestsBatchGet`). */
  readonly collect: (
    target: PipelineTarget,
    requestIds: ReadonlyArray<string>,
    options?: CallOptions
  ) => Effect.Effect<ReadonlyArray<PipelineRequestDetail>, ReadError>
  /** Cancel one request (`pipelineRequestsUpdate` with `{"status": "cancelled"}`). */
  readonly cancel: (target: PipelineTarget, requestId: string, options?: CallOptions) => Effect.Effect<void, CallError>
  /** Cancel at most 250 requests, or every pending or processing one (`pipelineRequestsBatchCancel`). */
  readonly cancelBatch: (
    target: PipelineTarget,
    selection: CancelSelection,
    options?: CallOptions
  ) => Effect.Effect<void, CallError>
  /** Delete one request and its sub-requests (`pipelineRequestsDelete`). */
  readonly delete: (target: PipelineTarget, requestId: string, options?: CallOptions) => Effect.Effect<void, CallError>
  /** Delete at most 250 requests, all or nothing (`pipelineRequestsBatchDelete`). */
  readonly deleteBatch: (
    target: PipelineTarget,
    requestIds: ReadonlyArray<string>,
    options?: CallOptions
  ) => Effect.Effect<void, CallError>
  /** One operator request of a pipeline version (`pipelineVersionObjectRequestsGet`). */
  readonly getOperatorRequest: (
    target: VersionTarget,
    requestId: string,
    options?: GetOperatorRequestOptions
  ) => Effect.Effect<OperatorRequestDetail, ReadError>
  /** The input of a request (`pipelineRequestsInputGet`). */
  readonly getInput: (
    target: PipelineTarget,
    requestId: string,
    options?: CallOptions
  ) => Effect.Effect<RequestFile, CallError>
  /** The output of a request (`pipelineRequestsOutputGet`). */
  readonly getOutput: (
    target: PipelineTarget,
    requestId: string,
    options?: CallOptions
  ) => Effect.Effect<RequestFile, CallError>
  /** The input of an operator request (`pipelineVersionObjectRequestsInputGet`). */
  readonly getOperatorRequestInput: (
    target: VersionTarget,
    requestId: string,
    options?: CallOptions
  ) => Effect.Effect<RequestFile, CallError>
  /** The output of an operator request (`pipelineVersionObjectRequestsOutputGet`). */
  readonly getOperatorRequestOutput: (
    target: VersionTarget,
    requestId: string,
    options?: CallOptions
  ) => Effect.Effect<RequestFile, CallError>
  /** A direct request whose partial outputs arrive as they are produced, then the final response
   * (`requests/stream`). As with `create`, a failed pipeline run is a final response with status `failed`. */
  readonly createStreaming: (
    target: PipelineTarget,
    data: RequestData,
    options?: StreamOptions
  ) => Stream.Stream<StreamEvent, ReadError>
  /** The retry budget all calls of this client share (see `retryBudget`); absent when the service does not retry. */
  readonly retryBudget?: RetryBudget.RetryBudget | undefined
  /** The same methods, each answering with its response's status and headers too (the official client's
   * `…_with_http_info`). */
  readonly withHttpInfo: HttpInfo.WithHttpInfo
}

/**
 * @since 1.0.0
 * @category tags
 */
export class PipelineRequests extends Context.Tag("@ubiops-effect/core/PipelineRequests")<
  PipelineRequests,
  Service
>() {}

/**
 * How to reach UbiOps and how to behave there.
 *
 * @since 1.0.0
 * @category models
 */
export interface ClientOptions {
  /** The API token, with or without the `Token ` prefix. */
  readonly token: Redacted.Redacted<string>
  /** The API host; normalised like the official client (default `https://api.ubiops.com/v2.1`). */
  readonly host?: string | undefined
  /** The retry policy (merged over the defaults). */
  readonly retry?: Partial<RetryPolicy.RetryPolicy> | undefined
  /** The deadline of one attempt (default 30 seconds). */
  readonly attemptTimeout?: Duration.DurationInput | undefined
  /** The deadline of a whole call, retries included (default 60 seconds). */
  readonly callTimeout?: Duration.DurationInput | undefined
  /** The most retry work all fibers of the client may do together (see `RetryBudget`). */
  readonly retryBudget?: { readonly capacity?: number | undefined } | false | undefined
  /** Pace calls from the server's `x-ratelimit-*` headers (default on). */
  readonly rateGovernor?: boolean | undefined
  /** The most bytes a request body may have (default 64 MiB). */
  readonly maxPayloadBytes?: number | undefined
  /** `false` sends what the reference's limits would refuse (a `limit`, status filter, request id, timeout or list
   * length out of range) and lets the server judge, as the official client's `client_side_validation=False`. Path
   * segments are still kept well-formed. Default `true`. */
  readonly clientSideValidation?: boolean | undefined
  /** The most bytes of a response body the client reads (default 256 MiB); a longer body is not read on, and the
   * call fails with `DecodeError` (a success) or its status error. */
  readonly maxResponseBytes?: number | undefined
  /** Told of every retry the client makes, before its backoff: what failed (`RetryEvent.reason`), the how-manieth
   * retry, the delay. For a progress line that says what a run waits for (a server that refuses connections while it
   * starts). */
  readonly onRetry?: ((event: RetryPolicy.RetryEvent) => Effect.Effect<void>) | undefined
  /** Changes the `HttpClient` the service sends with (a proxy, extra headers, logging). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The defaults of the client's policies.
 *
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  retry: RetryPolicy.defaults,
  attemptTimeout: Duration.seconds(30),
  callTimeout: Duration.seconds(60),
  /** Added to a direct request's pipeline timeout to make its deadline. */
  directRequestMargin: HttpBackend.directRequestMargin,
  retryBudgetCapacity: RetryBudget.defaults.capacity,
  maxPayloadBytes: 64 * 1024 * 1024,
  maxResponseBytes: 256 * 1024 * 1024,
  userAgent: `ubiops-effect/${packageVersion}`
} as const

/**
 * Builds the service on an `HttpClient` (`FetchHttpClient.layer` works everywhere,
 * `NodeHttpClient.layerUndici` is the fast one on Node).
 *
 * @since 1.0.0
 * @category constructors
 */
export const make = (options: ClientOptions): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const baseClient = yield* HttpClient.HttpClient
    const httpClient = options.transformClient === undefined ? baseClient : options.transformClient(baseClient)
    // An invalid option does not fail the layer: every call fails with `InvalidRequest` saying what is wrong.
    const { invalid, valid } = Options.checkClientOptions(options, defaults)
    const budget = options.retryBudget === false ? RetryBudget.unlimited : yield* RetryBudget.make(valid.capacity)
    const governor = options.rateGovernor === false ? RateGovernor.unlimited : yield* RateGovernor.make
    const settings: Caller.CallerSettings = {
      baseUrl: valid.baseUrl,
      authorization: authorization(valid.token),
      userAgent: defaults.userAgent,
      retry: valid.retry,
      attemptTimeout: valid.attemptTimeout,
      callTimeout: valid.callTimeout,
      budget,
      governor,
      maxPayloadBytes: valid.maxPayloadBytes,
      clientSideValidation: options.clientSideValidation !== false,
      maxResponseBytes: valid.maxResponseBytes,
      onRetry: options.onRetry
    }
    return Operations.makeService(HttpBackend.make(Caller.make(httpClient, settings), invalid))
  })

/**
 * The retry budget of the service's client: the one every retry of the client pays, which loops that retry above
 * the client (over `list` pages, say) should pay too, with `RetryPolicy.retryCost`. A service that does not retry
 * (the emulator's in-process one) has an unlimited budget.
 *
 * @since 1.0.0
 * @category accessors
 */
export const retryBudget: Effect.Effect<RetryBudget.RetryBudget, never, PipelineRequests> = Effect.map(
  PipelineRequests,
  (service) => service.retryBudget ?? RetryBudget.unlimited
)

/**
 * @since 1.0.0
 * @category layers
 */
export const layer = (options: ClientOptions): Layer.Layer<PipelineRequests, never, HttpClient.HttpClient> =>
  Layer.effect(PipelineRequests, make(options))

/**
 * Reads the token from `UBIOPS_API_TOKEN` (with or without the `Token ` prefix) and the host from
 * `UBIOPS_API_HOST` (default `https://api.ubiops.com/v2.1`), as the official client does. Other options
 * are given in code.
 *
 * @since 1.0.0
 * @category layers
 */
export const layerConfig = (
  options: Omit<ClientOptions, "token" | "host"> & {
    readonly token?: Config.Config<Redacted.Redacted<string>> | undefined
    readonly host?: Config.Config<Option.Option<string>> | undefined
  } = {}
): Layer.Layer<PipelineRequests, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    PipelineRequests,
    Effect.gen(function*() {
      const token = yield* (options.token ?? Config.redacted("UBIOPS_API_TOKEN"))
      const host = yield* (options.host ?? Config.option(Config.string("UBIOPS_API_HOST")))
      return yield* make({ ...options, token, host: Option.getOrUndefined(host) })
    })
  )
