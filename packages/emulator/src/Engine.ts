/**
 * The emulator's engine: UbiOps pipeline-request semantics in memory. Projects, pipelines with versions and
 * a default version, a queue per version worked by a fixed number of workers (priority 0 before 1), the
 * status machine, timeouts counted from the start of processing, cancel, delete, list and collect, and a
 * bounded retention of finished requests. Request ids look like random version-4 UUIDs; the engine stores
 * none of them (an id is parsed back to the request it names).
 *
 * All time comes from Effect's `Clock` (the clock of the fiber that built the engine), so tests drive it with
 * `TestClock`. The engine speaks the wire's JSON shapes; validation of parameter ranges is left to the
 * schemas of `@ubiops-effect/core/ApiParams`, applied by the faces in front of it.
 *
 * @since 1.0.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/engine.js"
import type { StatusName } from "./internal/records.js"
import * as rejection from "./internal/rejected.js"
import type * as Wire from "./internal/wire.js"
import type { DataType, ProjectDefinition } from "./PipelineDefinition.js"

/**
 * A call the engine refuses: 400 for invalid input, 404 for an unknown project, pipeline, version or request.
 *
 * @since 1.0.0
 * @category errors
 */
export const RequestRejected: typeof rejection.RequestRejected = rejection.RequestRejected

/**
 * @since 1.0.0
 * @category errors
 */
export type RequestRejected = rejection.RequestRejected

/**
 * Which pipeline a call is for; without `version`, the pipeline's default version.
 *
 * @since 1.0.0
 * @category models
 */
export interface Target {
  readonly project: string
  readonly pipeline: string
  readonly version?: string | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface CreateOptions {
  /** Seconds; the API's defaults apply when absent (3600 direct, 14400 batch). */
  readonly timeout?: number | undefined
  readonly priority?: 0 | 1 | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface DirectOptions extends CreateOptions {
  /** Receives the partial results the pipeline's objects emit (the stream endpoint). */
  readonly onPartial?: ((chunk: string) => void) | undefined
}

/**
 * A direct request that was accepted and is running.
 *
 * @since 1.0.0
 * @category models
 */
export interface DirectRun {
  readonly id: string
  /** Waits until the request has finished (or timed out, or was cancelled) and gives its response. */
  readonly response: Effect.Effect<Wire.CreateResponseWire>
}

/**
 * The filters of a list, as the query string gives them (already validated by the API's schemas).
 *
 * @since 1.0.0
 * @category models
 */
export interface ListQuery {
  /** One status, or a comma-separated combination; default `completed`. */
  readonly status?: string | undefined
  /** Default 50. */
  readonly limit?: number | undefined
  readonly offset?: number | undefined
  readonly startDate?: string | undefined
  readonly endDate?: string | undefined
  readonly searchId?: string | undefined
}

/**
 * What a cancel-many targets.
 *
 * @since 1.0.0
 * @category models
 */
export type CancelSelection =
  | { readonly ids: ReadonlyArray<string> }
  | { readonly status: "pending" | "processing" }

/**
 * A downloadable input or output.
 *
 * @since 1.0.0
 * @category models
 */
export interface RequestFile {
  readonly filename: string
  readonly contentType: string
  readonly body: string
}

/**
 * The engine's counters.
 *
 * @since 1.0.0
 * @category models
 */
export interface EngineStats {
  /** Requests stored since the start: in total and per pipeline name. */
  readonly created: { readonly total: number; readonly byPipeline: Record<string, number> }
  /** The requests stored now, per status. */
  readonly statuses: Record<StatusName, number>
  /** The requests stored now. */
  readonly stored: number
  /** Finished requests dropped by the retention limit. */
  readonly evicted: number
}

/**
 * A project as `GET /projects` lists it.
 *
 * @since 1.0.0
 * @category models
 */
export interface ProjectWire {
  readonly id: string
  readonly name: string
  readonly creation_date: string
  readonly advanced_permissions: boolean
  readonly credits: null
  readonly organization_name: string
  readonly labels: Record<string, string>
}

/**
 * A pipeline as `GET /projects/{p}/pipelines/{pl}` gives it (the fields `PipelineDetail` of the official
 * client reads).
 *
 * @since 1.0.0
 * @category models
 */
export interface PipelineWire {
  readonly id: string
  readonly name: string
  readonly project: string
  readonly description: string
  readonly input_type: DataType
  readonly input_fields: ReadonlyArray<never>
  readonly output_type: DataType
  readonly output_fields: ReadonlyArray<never>
  readonly labels: Record<string, string>
  readonly creation_date: string
  readonly last_updated: string
  readonly default_version: string
}

/**
 * @since 1.0.0
 * @category models
 */
export interface Engine {
  /** Runs a direct request: it starts processing at once and holds the caller until it ends. */
  readonly createDirect: (
    target: Target,
    data: unknown,
    options?: DirectOptions
  ) => Effect.Effect<Wire.CreateResponseWire, RequestRejected>
  /** Accepts a direct request and starts it; the caller decides when to wait for the response. */
  readonly startDirect: (target: Target, data: unknown, options?: DirectOptions) => Effect.Effect<
    DirectRun,
    RequestRejected
  >
  /** Queues a batch of requests (all of them, or none when one input is invalid). */
  readonly createBatch: (
    target: Target,
    data: ReadonlyArray<unknown>,
    options?: CreateOptions
  ) => Effect.Effect<Array<Wire.BatchCreateWire>, RequestRejected>
  readonly get: (
    target: Target,
    requestId: string,
    options?: { readonly metadataOnly?: boolean | undefined }
  ) => Effect.Effect<Wire.SingleDetailWire, RequestRejected>
  /** One page of requests, newest first. */
  readonly list: (target: Target, query?: ListQuery) => Effect.Effect<Array<Wire.ListItemWire>, RequestRejected>
  /** The requests with these ids, newest first (not in the order given); fails when one is missing. */
  readonly collect: (
    target: Target,
    requestIds: ReadonlyArray<string>
  ) => Effect.Effect<Array<Wire.DetailWire>, RequestRejected>
  /** Cancels one request (a finished one is left as it is) and gives its details. */
  readonly cancel: (target: Target, requestId: string) => Effect.Effect<Wire.SingleDetailWire, RequestRejected>
  /** Cancels the requests with these ids (none when one is missing), or every pending or processing one. */
  readonly cancelMany: (target: Target, selection: CancelSelection) => Effect.Effect<void, RequestRejected>
  readonly delete: (target: Target, requestId: string) => Effect.Effect<void, RequestRejected>
  /** Deletes the requests with these ids: all of them, or none when one is missing. */
  readonly deleteMany: (target: Target, requestIds: ReadonlyArray<string>) => Effect.Effect<void, RequestRejected>
  /** One object request (deployment, operator or sub-pipeline) of a pipeline request of a version. */
  readonly getObjectRequest: (
    target: Target & { readonly version: string },
    requestId: string,
    options?: { readonly metadataOnly?: boolean | undefined; readonly pipelineRequestId?: string | undefined }
  ) => Effect.Effect<Wire.ObjectRequestWire, RequestRejected>
  readonly getInput: (target: Target, requestId: string) => Effect.Effect<RequestFile, RequestRejected>
  readonly getOutput: (target: Target, requestId: string) => Effect.Effect<RequestFile, RequestRejected>
  readonly getObjectInput: (
    target: Target & { readonly version: string },
    requestId: string
  ) => Effect.Effect<RequestFile, RequestRejected>
  readonly getObjectOutput: (
    target: Target & { readonly version: string },
    requestId: string
  ) => Effect.Effect<RequestFile, RequestRejected>
  readonly getPipeline: (project: string, pipeline: string) => Effect.Effect<PipelineWire, RequestRejected>
  readonly projects: Effect.Effect<Array<ProjectWire>>
  readonly getProject: (project: string) => Effect.Effect<ProjectWire, RequestRejected>
  readonly stats: Effect.Effect<EngineStats>
  /** Who creates requests (`origin.created_by`, `GET /user`). */
  readonly userEmail: string
}

/**
 * @since 1.0.0
 * @category models
 */
export interface EngineOptions {
  readonly projects: ReadonlyArray<ProjectDefinition>
  /** At most this many finished requests are kept; the oldest finished are dropped first (default 1,000,000). */
  readonly maxFinishedRequests?: number | undefined
  /** `origin.created_by` of every request, and the email of `GET /user`. */
  readonly userEmail?: string | undefined
  /** How long (ms) a request that finished reads as it was before, read at each finish (default: none). The real
   * service stores requests asynchronously, "a couple of seconds" after they complete. */
  readonly visibilityDelayMillis?: (() => number) | undefined
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults: {
  readonly maxFinishedRequests: 1_000_000
  readonly userEmail: "emulator@ubiops.local"
  readonly listLimit: number
} = internal.defaults

/**
 * Builds an engine with the given projects. Its background work (running requests) lives as long as the
 * scope; the definitions must be valid (see `PipelineDefinition.problems`), else this dies.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make: (options: EngineOptions) => Effect.Effect<Engine, never, Scope.Scope> = internal.make
