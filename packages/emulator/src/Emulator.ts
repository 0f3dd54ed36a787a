/**
 * The emulator: one engine with its token, faults and counters, and the core `PipelineRequests` service
 * implemented directly on it (no HTTP), for fast tests of code that uses UbiOps.
 *
 * @since 1.0.0
 */
import { Limits } from "@ubiops-effect/core/ApiParams"
import {
  OperatorRequestDetail,
  PipelineRequestBatchCreateResponse,
  PipelineRequestCreateResponse,
  PipelineRequestDetail,
  PipelineRequestList,
  PipelineRequestSingleDetail
} from "@ubiops-effect/core/Models"
import type * as Client from "@ubiops-effect/core/PipelineRequests"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import type { OperationId } from "@ubiops-effect/core/PipelineRequestsApi"
import {
  BadRequest,
  type CallError,
  Forbidden,
  InvalidRequest,
  NotFound,
  RateLimited,
  type ResponseError,
  ServerError,
  TransportError,
  Unauthorized
} from "@ubiops-effect/core/UbiOpsError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as Demo from "./Demo.js"
import * as Engine from "./Engine.js"
import * as Faults from "./Faults.js"
import { type Checked, endpoint as contractOf, type RequestParts } from "./internal/contract.js"
import type { ProjectDefinition } from "./PipelineDefinition.js"
import * as Stats from "./Stats.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface EmulatorOptions {
  /** The API token clients must send (default: a random one; read it from `Emulator.token`). */
  readonly token?: string | Redacted.Redacted<string> | undefined
  /** Projects to serve besides `demo`. */
  readonly projects?: ReadonlyArray<ProjectDefinition> | undefined
  /** Serve the built-in project `demo` (default true). */
  readonly demo?: boolean | undefined
  /** Faults in force from the start (default none). */
  readonly faults?: Faults.FaultSettings | undefined
  /** At most this many finished requests are kept; the oldest finished go first (default 1,000,000). */
  readonly maxFinishedRequests?: number | undefined
  /** The largest request body the HTTP faces accept; larger ones get 413 (default 16 MiB). */
  readonly maxBodyBytes?: number | undefined
  /** The email of the (only) user: `GET /user` and every request's `origin.created_by`. */
  readonly userEmail?: string | undefined
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxFinishedRequests: Engine.defaults.maxFinishedRequests
} as const

/**
 * @since 1.0.0
 * @category models
 */
export interface Service {
  readonly engine: Engine.Engine
  readonly token: Redacted.Redacted<string>
  readonly faults: Faults.Faults
  readonly counters: Stats.Counters
  readonly maxBodyBytes: number
  /** The emulator's clock, in epoch milliseconds (the clock of the fiber that built it). */
  readonly now: () => number
}

/**
 * @since 1.0.0
 * @category tags
 */
export class Emulator extends Context.Tag("@ubiops-effect/emulator/Emulator")<Emulator, Service>() {}

/**
 * A random token of 40 hex digits.
 *
 * @since 1.0.0
 * @category utils
 */
export const generateToken = (): string => randomBytes(20).toString("hex")

/**
 * Builds an emulator. Its running requests live as long as the scope.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make = (options: EmulatorOptions = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const projects = [...(options.demo === false ? [] : [Demo.project]), ...(options.projects ?? [])]
    const engine = yield* Engine.make({
      projects,
      maxFinishedRequests: options.maxFinishedRequests,
      userEmail: options.userEmail
    })
    const clock = yield* Effect.clock
    const token = options.token === undefined
      ? Redacted.make(generateToken())
      : typeof options.token === "string"
      ? Redacted.make(options.token)
      : options.token
    return {
      engine,
      token,
      faults: Faults.make(options.faults),
      counters: new Stats.Counters(),
      maxBodyBytes: options.maxBodyBytes ?? defaults.maxBodyBytes,
      now: () => clock.unsafeCurrentTimeMillis()
    }
  })

/**
 * @since 1.0.0
 * @category layers
 */
export const layer = (options: EmulatorOptions = {}): Layer.Layer<Emulator> => Layer.scoped(Emulator, make(options))

/**
 * What the emulator has done so far.
 *
 * @since 1.0.0
 * @category accessors
 */
export const stats: Effect.Effect<Stats.Stats, never, Emulator> = Effect.flatMap(
  Emulator,
  (emulator) => Effect.map(emulator.engine.stats, (engine) => emulator.counters.snapshot(engine))
)

/**
 * Replaces the faults in force (`{}` turns them off).
 *
 * @since 1.0.0
 * @category accessors
 */
export const setFaults = (settings: Faults.FaultSettings): Effect.Effect<void, never, Emulator> =>
  Effect.map(Emulator, (emulator) => emulator.faults.set(settings))

/**
 * The token clients must send.
 *
 * @since 1.0.0
 * @category accessors
 */
export const token: Effect.Effect<string, never, Emulator> = Effect.map(
  Emulator,
  (emulator) => Redacted.value(emulator.token)
)

// -------------------------------------------------------------------------------------------------
// The in-memory PipelineRequests service

/** The typed error the official client would see for an HTTP status. */
const statusError = (
  where: { readonly operation: string; readonly method: string; readonly path: string },
  status: number,
  serverMessage: string
): ResponseError => {
  const fields = { ...where, status, serverMessage }
  if (status === 401) return new Unauthorized(fields)
  if (status === 403) return new Forbidden(fields)
  if (status === 404) return new NotFound(fields)
  if (status >= 500) return new ServerError(fields)
  return new BadRequest(fields)
}

const byVersion = <A extends OperationId, B extends OperationId>(
  target: Client.PipelineTarget,
  defaultVersion: A,
  named: B
): A | B => target.version === undefined ? defaultVersion : named

const pathOf = (target: Client.PipelineTarget) =>
  target.version === undefined
    ? { project_name: target.project, pipeline_name: target.pipeline }
    : { project_name: target.project, pipeline_name: target.pipeline, version: target.version }

const engineTarget = (checked: Checked): Engine.Target => ({
  project: checked.path.project_name,
  pipeline: checked.path.pipeline_name,
  version: checked.path.version
})

const toIsoDate = (date: Date | string | undefined): string | undefined =>
  date === undefined ? undefined : typeof date === "string" ? date : date.toISOString()

const toRequestFile = (file: Engine.RequestFile): Client.RequestFile => {
  const bytes = new TextEncoder().encode(file.body)
  let data: unknown = file.body
  if (file.contentType.includes("json")) {
    try {
      data = JSON.parse(file.body)
    } catch {
      data = file.body
    }
  }
  return { filename: file.filename, contentType: file.contentType, bytes, text: file.body, data }
}

const decodeCreate = Schema.decodeUnknownSync(PipelineRequestCreateResponse)
const decodeBatchCreate = Schema.decodeUnknownSync(Schema.Array(PipelineRequestBatchCreateResponse))
const decodeSingle = Schema.decodeUnknownSync(PipelineRequestSingleDetail)
const decodeList = Schema.decodeUnknownSync(Schema.Array(PipelineRequestList))
const decodeDetails = Schema.decodeUnknownSync(Schema.Array(PipelineRequestDetail))
const decodeOperator = Schema.decodeUnknownSync(OperatorRequestDetail)

/**
 * The core `PipelineRequests` service on this emulator's engine, without HTTP. It refuses what the real
 * client refuses before sending (with `InvalidRequest`, from the same schemas), fails with the typed errors
 * the real client would give for the emulator's HTTP answers (operation, method and path as over HTTP), and
 * applies the faults in force: a spent rate limit is `RateLimited`, an error rate gives that status's error,
 * latency is slept on the emulator's clock, and a dropped connection is a `TransportError` (after the
 * requests were stored, for `dropAfterAccept`). There are no retries: those belong to the HTTP client.
 *
 * @since 1.0.0
 * @category constructors
 */
export const makePipelineRequests: Effect.Effect<Client.Service, never, Emulator> = Effect.gen(function*() {
  const emulator = yield* Emulator
  const { counters, engine, faults } = emulator

  /** One call: validated, counted, exposed to the faults, performed, its outcome counted. */
  const invoke = <A>(
    operation: OperationId,
    request: RequestParts,
    perform: (checked: Checked) => Effect.Effect<A, Engine.RequestRejected>
  ): Effect.Effect<A, CallError> =>
    Effect.suspend(() => {
      const contract = contractOf(operation)
      const checked = contract.check(request)
      if (Either.isLeft(checked)) {
        return Effect.fail(new InvalidRequest({ operation, reason: checked.left.reason }))
      }
      const where = { operation, method: contract.method, path: checked.right.httpPath }
      counters.call(operation)
      const verdict = faults.decide(emulator.now(), contract.isCreate)
      if (verdict.rateLimited) {
        counters.response(429)
        const window = faults.window(emulator.now())
        return Effect.fail(
          new RateLimited({
            ...where,
            status: 429,
            serverMessage: "Rate limit exceeded (emulated fault)",
            retryAfterMillis: window.resetSeconds * 1000
          })
        )
      }
      const dropped = () =>
        new TransportError({
          ...where,
          mayHaveReachedServer: true,
          reason: "the connection was dropped (emulated fault)"
        })
      const outcome: Effect.Effect<A, CallError> = Effect.suspend(() => {
        if (verdict.errorStatus !== undefined) {
          counters.response(verdict.errorStatus)
          return Effect.fail(statusError(where, verdict.errorStatus, `Emulated fault: ${verdict.errorStatus}`))
        }
        if (verdict.drop === "before") {
          counters.dropped("before")
          return Effect.fail(dropped())
        }
        return perform(checked.right).pipe(
          Effect.tapBoth({
            onFailure: (error) => Effect.sync(() => counters.response(error.status)),
            onSuccess: () =>
              Effect.sync(() =>
                verdict.drop === "after" ? counters.dropped("after") : counters.response(contract.successStatus)
              )
          }),
          Effect.mapError((error) => statusError(where, error.status, error.message)),
          Effect.flatMap((value) => verdict.drop === "after" ? Effect.fail(dropped()) : Effect.succeed(value))
        )
      })
      return verdict.latencyMillis > 0
        ? Effect.zipRight(Effect.sleep(Duration.millis(verdict.latencyMillis)), outcome)
        : outcome
    })

  const service: Client.Service = {
    create: (target, data, options) =>
      invoke(
        byVersion(target, "pipelineRequestsCreate", "pipelineVersionRequestsCreate"),
        { path: pathOf(target), urlParams: { timeout: options?.timeout, priority: options?.priority }, payload: data },
        (checked) =>
          engine.startDirect(engineTarget(checked), checked.payload, {
            timeout: checked.urlParams.timeout ?? checked.urlParams.pipeline_timeout,
            priority: checked.urlParams.priority
          })
      ).pipe(Effect.flatMap((run) => Effect.map(run.response, decodeCreate))),
    createBatch: (target, data, options) =>
      data.length === 0 ? Effect.succeed([]) : invoke(
        byVersion(target, "batchPipelineRequestsCreate", "batchPipelineVersionRequestsCreate"),
        { path: pathOf(target), urlParams: { timeout: options?.timeout, priority: options?.priority }, payload: data },
        (checked) =>
          engine.createBatch(
            engineTarget(checked),
            Array.isArray(checked.payload) ? checked.payload : [checked.payload],
            { timeout: checked.urlParams.timeout, priority: checked.urlParams.priority }
          )
      ).pipe(Effect.map(decodeBatchCreate)),
    get: (target, requestId, options) =>
      invoke(
        byVersion(target, "pipelineRequestsGet", "pipelineVersionRequestsGet"),
        { path: { ...pathOf(target), request_id: requestId }, urlParams: { metadata_only: options?.metadataOnly } },
        (checked) =>
          engine.get(engineTarget(checked), checked.path.request_id, { metadataOnly: checked.urlParams.metadata_only })
      ).pipe(Effect.map(decodeSingle)),
    list: (target, options) =>
      invoke(
        byVersion(target, "pipelineRequestsList", "pipelineVersionRequestsList"),
        {
          path: pathOf(target),
          urlParams: {
            status: options?.status === undefined
              ? undefined
              : typeof options.status === "string"
              ? options.status
              : options.status.join(","),
            limit: options?.limit,
            offset: options?.offset,
            start_date: toIsoDate(options?.startDate),
            end_date: toIsoDate(options?.endDate),
            search_id: options?.searchId
          }
        },
        (checked) =>
          engine.list(engineTarget(checked), {
            status: checked.urlParams.status,
            limit: checked.urlParams.limit,
            offset: checked.urlParams.offset,
            startDate: checked.urlParams.start_date,
            endDate: checked.urlParams.end_date,
            searchId: checked.urlParams.search_id
          })
      ).pipe(Effect.map(decodeList)),
    collect: (target, requestIds) =>
      requestIds.length === 0 ? Effect.succeed([]) : invoke(
        byVersion(target, "pipelineRequestsBatchGet", "pipelineVersionRequestsBatchGet"),
        { path: pathOf(target), payload: requestIds },
        (checked) => engine.collect(engineTarget(checked), checked.payload)
      ).pipe(Effect.map(decodeDetails)),
    cancel: (target, requestId) =>
      invoke(
        byVersion(target, "pipelineRequestsUpdate", "pipelineVersionRequestsUpdate"),
        { path: { ...pathOf(target), request_id: requestId }, payload: { status: "cancelled" } },
        (checked) => engine.cancel(engineTarget(checked), checked.path.request_id)
      ).pipe(Effect.asVoid),
    cancelBatch: (target, selection) =>
      invoke(
        byVersion(target, "pipelineRequestsBatchCancel", "pipelineVersionRequestsBatchCancel"),
        "status" in selection
          ? { path: pathOf(target), urlParams: { status: selection.status }, payload: [] }
          : { path: pathOf(target), payload: selection },
        (checked) =>
          engine.cancelMany(
            engineTarget(checked),
            checked.urlParams.status !== undefined ? { status: checked.urlParams.status } : { ids: checked.payload }
          )
      ),
    delete: (target, requestId) =>
      invoke(
        byVersion(target, "pipelineRequestsDelete", "pipelineVersionRequestsDelete"),
        { path: { ...pathOf(target), request_id: requestId } },
        (checked) => engine.delete(engineTarget(checked), checked.path.request_id)
      ),
    deleteBatch: (target, requestIds) =>
      requestIds.length === 0 ? Effect.void : invoke(
        byVersion(target, "pipelineRequestsBatchDelete", "pipelineVersionRequestsBatchDelete"),
        { path: pathOf(target), payload: requestIds },
        (checked) => engine.deleteMany(engineTarget(checked), checked.payload)
      ),
    getOperatorRequest: (target, requestId, options) =>
      invoke(
        "pipelineVersionObjectRequestsGet",
        {
          path: { ...pathOf(target), request_id: requestId },
          urlParams: {
            metadata_only: options?.metadataOnly,
            pipeline_request_id: options?.pipelineRequestId,
            pipeline_object_id: options?.pipelineObjectId
          }
        },
        (checked) =>
          engine.getObjectRequest(
            { ...engineTarget(checked), version: checked.path.version },
            checked.path.request_id,
            { metadataOnly: checked.urlParams.metadata_only, pipelineRequestId: checked.urlParams.pipeline_request_id }
          )
      ).pipe(Effect.map(decodeOperator)),
    getInput: (target, requestId) =>
      invoke(
        byVersion(target, "pipelineRequestsInputGet", "pipelineVersionRequestsInputGet"),
        { path: { ...pathOf(target), request_id: requestId } },
        (checked) => engine.getInput(engineTarget(checked), checked.path.request_id)
      ).pipe(Effect.map(toRequestFile)),
    getOutput: (target, requestId) =>
      invoke(
        byVersion(target, "pipelineRequestsOutputGet", "pipelineVersionRequestsOutputGet"),
        { path: { ...pathOf(target), request_id: requestId } },
        (checked) => engine.getOutput(engineTarget(checked), checked.path.request_id)
      ).pipe(Effect.map(toRequestFile)),
    getOperatorRequestInput: (target, requestId) =>
      invoke(
        "pipelineVersionObjectRequestsInputGet",
        { path: { ...pathOf(target), request_id: requestId } },
        (checked) =>
          engine.getObjectInput({ ...engineTarget(checked), version: checked.path.version }, checked.path.request_id)
      ).pipe(Effect.map(toRequestFile)),
    getOperatorRequestOutput: (target, requestId) =>
      invoke(
        "pipelineVersionObjectRequestsOutputGet",
        { path: { ...pathOf(target), request_id: requestId } },
        (checked) =>
          engine.getObjectOutput({ ...engineTarget(checked), version: checked.path.version }, checked.path.request_id)
      ).pipe(Effect.map(toRequestFile)),
    createStreaming: (target, data, options) =>
      Stream.asyncPush<Client.StreamEvent, Client.ReadError>((emit) =>
        invoke(
          byVersion(target, "pipelineRequestsStream", "pipelineVersionRequestsStream"),
          { path: pathOf(target), urlParams: { timeout: options?.timeout }, payload: data },
          (checked) =>
            engine.startDirect(engineTarget(checked), checked.payload, {
              timeout: checked.urlParams.timeout ?? Limits.streamTimeout.default,
              onPartial: (chunk) => emit.single({ _tag: "Partial", data: chunk })
            })
        ).pipe(
          Effect.flatMap((run) => run.response),
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
  return service
})

/**
 * The core `PipelineRequests` service on a new emulator (see `makePipelineRequests`), with the emulator
 * itself, to read its stats or set faults. Under `it.effect` it runs on the `TestClock`.
 *
 * @since 1.0.0
 * @category layers
 */
export const layerPipelineRequests = (options: EmulatorOptions = {}): Layer.Layer<PipelineRequests | Emulator> =>
  Layer.effect(PipelineRequests, makePipelineRequests).pipe(Layer.provideMerge(layer(options)))
