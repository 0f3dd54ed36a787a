/**
 * The emulator's engine: UbiOps pipeline-request semantics in memory. Projects, pipelines with versions and
 * a default version, a queue per version worked by a fixed number of workers (priority 0 before 1), the
 * status machine, timeouts counted from the start of processing, cancel, delete, list and collect, and a
 * bounded retention of finished requests.
 *
 * All time comes from Effect's `Clock` (the clock of the fiber that built the engine), so tests drive it with
 * `TestClock`. The engine speaks the wire's JSON shapes; validation of parameter ranges is left to the
 * schemas of `@ubiops-effect/core/ApiParams`, applied by the faces in front of it.
 *
 * @since 1.0.0
 */
import { Limits } from "@ubiops-effect/core/ApiParams"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { makeIdScheme, requestIndex } from "./internal/ids.js"
import {
  CANCELLED,
  COMPLETED,
  FAILED,
  isFinished,
  PENDING,
  type PipelineState,
  PROCESSING,
  type ProjectState,
  RequestRecord,
  type RunnableObject,
  statusIndex,
  type StatusName,
  statusNames,
  Step,
  stepsOf,
  VersionState
} from "./internal/records.js"
import { RingQueue } from "./internal/RingQueue.js"
import * as Wire from "./internal/wire.js"
import { structuredInputFromText } from "./Leniency.js"
import type {
  DataType,
  ObjectContext,
  ObjectDefinition,
  PipelineDefinition,
  ProjectDefinition
} from "./PipelineDefinition.js"
import { problems, versionsOf } from "./PipelineDefinition.js"

/**
 * A call the engine refuses: 400 for invalid input, 404 for an unknown project, pipeline, version or request.
 *
 * @since 1.0.0
 * @category errors
 */
export class RequestRejected extends Data.TaggedError("RequestRejected")<{
  readonly status: 400 | 404
  readonly message: string
}> {}

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
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  maxFinishedRequests: 1_000_000,
  userEmail: "emulator@ubiops.local",
  listLimit: Limits.listLimit.default
} as const

class StepFailure {
  constructor(readonly step: Step, readonly message: string) {}
}

const rejected = (status: 400 | 404, message: string) => new RequestRejected({ status, message })

const messageOf = (error: unknown): string => {
  if (typeof error === "string") return error
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const causeMessage = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return messageOf(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return messageOf(defect.value)
  return "interrupted"
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const article = (kind: RunnableObject["kind"]) =>
  kind === "deployment" ? "a deployment" : kind === "operator" ? "an operator" : "a sub-pipeline"

const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "a list"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`

/** Runs a synchronous engine operation; a thrown `RequestRejected` becomes the effect's failure. */
const attempt = <A>(operation: () => A): Effect.Effect<A, RequestRejected> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(operation())
    } catch (error) {
      if (error instanceof RequestRejected) return Effect.fail(error)
      throw error
    }
  })

const identity = (input: unknown) => Effect.succeed(input)

/**
 * Builds an engine with the given projects. Its background work (running requests) lives as long as the
 * scope; the definitions must be valid (see `PipelineDefinition.problems`), else this dies.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make = (options: EngineOptions): Effect.Effect<Engine, never, Scope.Scope> =>
  Effect.gen(function*() {
    const issues = problems(options.projects)
    if (issues.length > 0) return yield* Effect.dieMessage(`Invalid emulator pipelines: ${issues.join("; ")}`)
    const runtime = yield* Effect.runtime<never>()
    const clock = yield* Effect.clock
    const scheduler = FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentScheduler)
    const runFork = Runtime.runFork(runtime)
    const now = () => clock.unsafeCurrentTimeMillis()
    const ids = makeIdScheme()
    const maxFinished = Math.max(0, options.maxFinishedRequests ?? defaults.maxFinishedRequests)
    const userEmail = options.userEmail ?? defaults.userEmail
    const startedAt = Wire.timestamp(now())

    const projects = new Map<string, ProjectState>()
    const bySeq = new Map<number, RequestRecord>()
    const finished = new RingQueue<RequestRecord>()
    const statusCounts = [0, 0, 0, 0, 0]
    const createdByPipeline = new Map<string, number>()
    let createdTotal = 0
    let finishedStored = 0
    let evicted = 0
    let nextSeq = 1
    let nextDefinitionId = 0
    let lastCreated = 0
    let closed = false

    // ---------------------------------------------------------------------------------------------
    // definitions

    const runChain = (objects: ReadonlyArray<RunnableObject>, input: unknown, context: ObjectContext) => {
      const go = (index: number, value: unknown): Effect.Effect<unknown, unknown> => {
        if (index >= objects.length) return Effect.succeed(value)
        const object = objects[index]
        const work = object.latencyMillis > 0
          ? Effect.zipRight(Effect.sleep(Duration.millis(object.latencyMillis)), object.run(value, context))
          : object.run(value, context)
        return Effect.flatMap(work, (output) => go(index + 1, output))
      }
      return go(0, input)
    }

    const resolveObjects = (
      project: ProjectState,
      objects: ReadonlyArray<ObjectDefinition>
    ): ReadonlyArray<RunnableObject> =>
      objects.map((object): RunnableObject => {
        switch (object.kind) {
          case "deployment": {
            const latencyMillis = Duration.toMillis(object.latency ?? 0)
            return {
              kind: "deployment",
              name: object.name,
              target: object.deployment ?? object.name,
              version: object.version ?? "v1",
              latencyMillis,
              run: object.run ?? identity,
              passThrough: object.run === undefined && latencyMillis === 0
            }
          }
          case "operator": {
            const latencyMillis = Duration.toMillis(object.latency ?? 0)
            return {
              kind: "operator",
              name: object.name,
              target: object.operator ?? "function",
              version: null,
              latencyMillis,
              run: object.run ?? identity,
              passThrough: object.run === undefined && latencyMillis === 0
            }
          }
          case "pipeline": {
            if (object.objects !== undefined) {
              const inner = resolveObjects(project, object.objects)
              return {
                kind: "pipeline",
                name: object.name,
                target: object.pipeline,
                version: object.version ?? "v1",
                latencyMillis: 0,
                run: (input, context) => runChain(inner, input, context),
                passThrough: inner.every((object) => object.passThrough)
              }
            }
            const pipeline = project.pipelines.get(object.pipeline)!
            const version = object.version === undefined
              ? pipeline.defaultVersion
              : pipeline.versions.get(object.version)!
            return {
              kind: "pipeline",
              name: object.name,
              target: object.pipeline,
              version: version.name,
              latencyMillis: 0,
              run: (input, context) => runChain(version.objects, input, context),
              get passThrough() {
                return version.objects.every((object) => object.passThrough)
              }
            }
          }
        }
      })

    const addPipeline = (project: ProjectState, definition: PipelineDefinition) => {
      const definitions = versionsOf(definition)
      const versions = new Map<string, VersionState>()
      const inputType = definition.inputType ?? "structured"
      const state: PipelineState = {
        project,
        name: definition.name,
        id: ids.format(0, nextDefinitionId++),
        description: definition.description ?? "",
        inputType,
        outputType: definition.outputType ?? inputType,
        versions,
        get defaultVersion() {
          return versions.get(definition.defaultVersion ?? definitions[0].name)!
        }
      }
      for (const version of definitions) {
        versions.set(version.name, new VersionState(state, version.name, version.workers ?? 1))
      }
      project.pipelines.set(definition.name, state)
    }

    for (const definition of options.projects) {
      const project: ProjectState = {
        name: definition.name,
        id: ids.format(0, nextDefinitionId++),
        pipelines: new Map()
      }
      projects.set(definition.name, project)
      for (const pipeline of definition.pipelines) addPipeline(project, pipeline)
    }
    for (const definition of options.projects) {
      const project = projects.get(definition.name)!
      for (const pipeline of definition.pipelines) {
        for (const version of versionsOf(pipeline)) {
          project.pipelines.get(pipeline.name)!.versions.get(version.name)!.objects = resolveObjects(
            project,
            version.objects ?? []
          )
        }
      }
    }
    for (const project of projects.values()) {
      for (const pipeline of project.pipelines.values()) {
        for (const version of pipeline.versions.values()) {
          version.passThrough = version.objects.every((object) => object.passThrough)
        }
      }
    }

    // ---------------------------------------------------------------------------------------------
    // lookups

    const resolve = (target: Target): VersionState => {
      const project = projects.get(target.project)
      if (project === undefined) throw rejected(404, `Project "${target.project}" not found`)
      const pipeline = project.pipelines.get(target.pipeline)
      if (pipeline === undefined) {
        throw rejected(404, `Pipeline "${target.pipeline}" not found in project "${target.project}"`)
      }
      if (target.version === undefined) return pipeline.defaultVersion
      const version = pipeline.versions.get(target.version)
      if (version === undefined) {
        throw rejected(404, `Version "${target.version}" of pipeline "${target.pipeline}" not found`)
      }
      return version
    }

    const lookup = (version: VersionState, requestId: string): RequestRecord | undefined => {
      const parsed = ids.parse(requestId)
      if (parsed === undefined || parsed.index !== requestIndex) return undefined
      const record = bySeq.get(parsed.seq)
      return record !== undefined && record.version === version ? record : undefined
    }

    const find = (version: VersionState, requestId: string): RequestRecord => {
      const record = lookup(version, requestId)
      if (record === undefined) throw rejected(404, `Pipeline request "${requestId}" not found`)
      return record
    }

    const findAll = (version: VersionState, requestIds: ReadonlyArray<string>): Array<RequestRecord> => {
      const records: Array<RequestRecord> = []
      const missing: Array<string> = []
      for (const requestId of new Set(requestIds)) {
        const record = lookup(version, requestId)
        if (record === undefined) missing.push(requestId)
        else records.push(record)
      }
      if (missing.length > 0) {
        throw rejected(404, `Pipeline request${missing.length > 1 ? "s" : ""} not found: ${missing.join(", ")}`)
      }
      return records
    }

    const findStep = (
      version: VersionState,
      requestId: string
    ): { record: RequestRecord; steps: ReadonlyArray<Step>; step: Step } => {
      const parsed = ids.parse(requestId)
      const record = parsed === undefined || parsed.index === requestIndex ? undefined : bySeq.get(parsed.seq)
      const steps = record !== undefined && record.version === version ? stepsOf(record) : null
      const step = steps?.[parsed!.index]
      if (record === undefined || steps === null || step === undefined) {
        throw rejected(404, `Object request "${requestId}" not found`)
      }
      return { record, steps, step }
    }

    // ---------------------------------------------------------------------------------------------
    // input

    /** The input as the pipeline takes it, or a 400 naming what is wrong. */
    const acceptInput = (version: VersionState, data: unknown, where: string, allowList: boolean): unknown => {
      const pipeline = version.pipeline
      let input = data
      if (pipeline.inputType === "structured") {
        if (typeof input === "string") input = structuredInputFromText(input) ?? input
        const valid = isPlainObject(input) ||
          (allowList && Array.isArray(input) && input.every((item) => isPlainObject(item)))
        if (!valid) {
          throw rejected(
            400,
            `${where}: pipeline "${pipeline.name}" has structured input, which is a JSON object${
              allowList ? " (or a list of objects)" : ""
            }; got ${describeValue(input)}`
          )
        }
      } else {
        const valid = typeof input === "string" ||
          (allowList && Array.isArray(input) && input.every((item) => typeof item === "string"))
        if (!valid) {
          throw rejected(
            400,
            `${where}: pipeline "${pipeline.name}" has plain input, which is a string${
              allowList ? " (or a list of strings)" : ""
            }; got ${describeValue(input)}`
          )
        }
      }
      return input
    }

    const sizeOf = (input: unknown, where: string): number => {
      try {
        return Wire.byteSize(input)
      } catch (error) {
        throw rejected(400, `${where}: the data is not valid JSON: ${messageOf(error)}`)
      }
    }

    // ---------------------------------------------------------------------------------------------
    // state changes

    const changeStatus = (record: RequestRecord, status: number) => {
      statusCounts[record.status]--
      statusCounts[status]++
      record.version.log.setStatus(record, status)
    }

    const store = (
      version: VersionState,
      input: unknown,
      inputSize: number,
      direct: boolean,
      timeCreated: number,
      timeout: number,
      priority: 0 | 1
    ) => {
      const record = new RequestRecord(nextSeq++, version, direct, timeCreated, input, inputSize, timeout, priority)
      version.log.append(record)
      bySeq.set(record.seq, record)
      statusCounts[PENDING]++
      createdTotal++
      const name = version.pipeline.name
      createdByPipeline.set(name, (createdByPipeline.get(name) ?? 0) + 1)
      return record
    }

    /** Creation times never go backwards, so that creation order is time order (the list index relies on it). */
    const creationTime = () => {
      lastCreated = Math.max(lastCreated, now())
      return lastCreated
    }

    const remove = (record: RequestRecord) => {
      if (record.deleted) return
      if (!isFinished(record.status)) {
        finish(record, CANCELLED, null, null)
        if (record.deleted) return
      }
      record.deleted = true
      record.version.log.remove(record)
      bySeq.delete(record.seq)
      statusCounts[record.status]--
      finishedStored--
    }

    const enforceRetention = () => {
      while (finishedStored > maxFinished) {
        const oldest = finished.shift()
        if (oldest === undefined) break
        if (oldest.deleted) continue
        remove(oldest)
        evicted++
      }
      if (finished.length > 2 * finishedStored + 1024) finished.retain((record) => !record.deleted)
    }

    /** Moves a request to a final status, now. A request that already finished is left alone. */
    const finish = (record: RequestRecord, status: number, result: unknown, errorMessage: string | null) => {
      if (isFinished(record.status)) return
      const time = now()
      changeStatus(record, status)
      record.timeCompleted = time
      record.result = result
      record.errorMessage = errorMessage
      if (record.steps !== null) {
        for (const step of record.steps) {
          if (step.status !== PROCESSING) continue
          step.status = status === COMPLETED ? FAILED : status
          step.errorMessage = errorMessage
          step.timeCompleted = time
        }
      }
      record.version.processing.delete(record)
      finished.push(record)
      finishedStored++
      const waiting = record.onFinish
      record.onFinish = undefined
      record.onPartial = undefined
      if (waiting !== undefined) { for (const resume of waiting) resume() }
      enforceRetention()
    }

    const complete = (record: RequestRecord, output: unknown) => {
      const outputType = record.version.pipeline.outputType
      const valid = outputType === "structured"
        ? isPlainObject(output) || (Array.isArray(output) && output.every((item) => isPlainObject(item)))
        : typeof output === "string" || (Array.isArray(output) && output.every((item) => typeof item === "string"))
      if (!valid) {
        return finish(
          record,
          FAILED,
          null,
          `The pipeline's output must be ${
            outputType === "structured" ? "a JSON object" : "a string"
          } (${outputType} output type); got ${describeValue(output)}`
        )
      }
      let size: number
      try {
        size = output === record.input ? record.inputSize : Wire.byteSize(output)
      } catch (error) {
        return finish(record, FAILED, null, `The pipeline's output is not valid JSON: ${messageOf(error)}`)
      }
      record.outputSize = size
      finish(record, COMPLETED, output, null)
    }

    // ---------------------------------------------------------------------------------------------
    // running

    const runRequest = (record: RequestRecord): Effect.Effect<unknown, StepFailure> => {
      const version = record.version
      const objects = version.objects
      const context: ObjectContext = {
        project: version.pipeline.project.name,
        pipeline: version.pipeline.name,
        version: version.name,
        requestId: ids.format(record.seq, requestIndex),
        emit: (chunk) => Effect.sync(() => record.onPartial?.(chunk))
      }
      const go = (index: number, input: unknown): Effect.Effect<unknown, StepFailure> => {
        if (index >= objects.length) return Effect.succeed(input)
        return Effect.suspend(() => {
          if (record.status !== PROCESSING) return Effect.interrupt
          const object = objects[index]
          const step = new Step(index, object, now(), input)
          if (record.steps === null) record.steps = [step]
          else record.steps.push(step)
          const work = object.latencyMillis > 0
            ? Effect.zipRight(Effect.sleep(Duration.millis(object.latencyMillis)), object.run(input, context))
            : object.run(input, context)
          return Effect.matchCauseEffect(work, {
            onFailure: (cause): Effect.Effect<never, StepFailure> => {
              if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
              const message = causeMessage(cause)
              if (step.status === PROCESSING) {
                step.status = FAILED
                step.errorMessage = message
                step.timeCompleted = now()
              }
              return Effect.fail(new StepFailure(step, message))
            },
            onSuccess: (output) => {
              if (step.status !== PROCESSING) return Effect.interrupt
              step.status = COMPLETED
              step.output = output
              step.timeCompleted = now()
              return go(index + 1, output)
            }
          })
        })
      }
      return go(0, record.input)
    }

    const onRunExit = (record: RequestRecord, exit: Exit.Exit<unknown, StepFailure>) => {
      record.fiber = undefined
      if (record.timer !== undefined) {
        record.timer.unsafeInterruptAsFork(FiberId.none)
        record.timer = undefined
      }
      if (record.status === PROCESSING) {
        if (Exit.isSuccess(exit)) {
          complete(record, exit.value)
        } else {
          const failure = Cause.failureOption(exit.cause)
          finish(
            record,
            FAILED,
            null,
            Option.isSome(failure)
              ? `Error while processing ${
                article(failure.value.step.object.kind)
              } request (object "${failure.value.step.object.name}"): ${failure.value.message}`
              : `The request stopped unexpectedly: ${causeMessage(exit.cause)}`
          )
        }
      }
      if (!record.direct) {
        record.version.running--
        schedulePump(record.version)
      }
    }

    const onTimeout = (record: RequestRecord) => {
      record.timer = undefined
      if (record.status !== PROCESSING) return
      finish(record, FAILED, null, `The request timed out: it ran longer than its timeout of ${record.timeout} seconds`)
      record.fiber?.unsafeInterruptAsFork(FiberId.none)
    }

    /** A request of a version whose objects all pass their input through completes as it starts (its object
     * requests are not stored: see `stepsOf`). */
    const passThrough = (record: RequestRecord) => {
      complete(record, record.input)
      if (!record.direct) record.version.running--
    }

    /** Starts a request that is in `processing`; a run that ends at once is finished at once, with no timer. */
    const run = (record: RequestRecord) => {
      if (record.version.passThrough) return passThrough(record)
      const fiber = runFork(runRequest(record))
      const exit = fiber.unsafePoll()
      if (exit !== null) return onRunExit(record, exit)
      record.fiber = fiber
      fiber.addObserver((exit) => onRunExit(record, exit))
      if (record.status !== PROCESSING) return
      const remaining = record.timeStarted + record.timeout * 1000 - now()
      record.timer = runFork(Effect.zipRight(
        Effect.sleep(Duration.millis(Math.max(0, remaining))),
        Effect.sync(() => onTimeout(record))
      ))
    }

    const startProcessing = (record: RequestRecord) => {
      changeStatus(record, PROCESSING)
      record.timeStarted = now()
      record.version.processing.add(record)
      run(record)
    }

    const takePending = (version: VersionState): RequestRecord | undefined => {
      for (const queue of version.queues) {
        for (let record = queue.shift(); record !== undefined; record = queue.shift()) {
          if (record.status === PENDING && !record.deleted) return record
        }
      }
      return undefined
    }

    /** Starts pending requests while workers are free; at most a bounded number per turn of the event loop. */
    const pump = (version: VersionState) => {
      version.pumpScheduled = false
      let started = 0
      while (!closed && version.running < version.workers) {
        const record = takePending(version)
        if (record === undefined) return
        version.running++
        startProcessing(record)
        if (++started >= 1000) return schedulePump(version)
      }
    }

    const schedulePump = (version: VersionState) => {
      if (closed || version.pumpScheduled || version.running >= version.workers) return
      if (version.queues[0].length === 0 && version.queues[1].length === 0) return
      version.pumpScheduled = true
      scheduler.scheduleTask(() => pump(version), 0)
    }

    const cancelRecord = (record: RequestRecord) => {
      if (record.status === PENDING) return finish(record, CANCELLED, null, null)
      if (record.status !== PROCESSING) return
      finish(record, CANCELLED, null, null)
      record.fiber?.unsafeInterruptAsFork(FiberId.none)
    }

    const awaitFinish = (record: RequestRecord): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (isFinished(record.status) || record.deleted) return resume(Effect.void)
        const callback = () => resume(Effect.void)
        ;(record.onFinish ??= []).push(callback)
        return Effect.sync(() => {
          if (record.onFinish !== undefined) record.onFinish = record.onFinish.filter((other) => other !== callback)
        })
      })

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        for (const project of projects.values()) {
          for (const pipeline of project.pipelines.values()) {
            for (const version of pipeline.versions.values()) {
              for (const record of [...version.processing]) {
                finish(record, FAILED, null, "The emulator was shut down")
                record.fiber?.unsafeInterruptAsFork(FiberId.none)
                record.timer?.unsafeInterruptAsFork(FiberId.none)
              }
            }
          }
        }
      })
    )

    // ---------------------------------------------------------------------------------------------
    // operations

    const startDirect = (target: Target, data: unknown, options?: DirectOptions) =>
      attempt((): DirectRun => {
        const version = resolve(target)
        const input = acceptInput(version, data, "data", true)
        const inputSize = sizeOf(input, "data")
        const time = creationTime()
        const record = store(
          version,
          input,
          inputSize,
          true,
          time,
          options?.timeout ?? Limits.directTimeout.default,
          options?.priority ?? 1
        )
        record.onPartial = options?.onPartial
        startProcessing(record)
        return {
          id: ids.format(record.seq, requestIndex),
          response: Effect.as(awaitFinish(record), record).pipe(
            Effect.map((record) => Wire.createResponse(ids, record))
          )
        }
      })

    const createBatch = (target: Target, data: ReadonlyArray<unknown>, options?: CreateOptions) =>
      attempt(() => {
        const version = resolve(target)
        const inputs = data.map((item, index) => acceptInput(version, item, `data[${index}]`, false))
        const sizes = inputs.map((input, index) => sizeOf(input, `data[${index}]`))
        const time = creationTime()
        const timeout = options?.timeout ?? Limits.batchTimeout.default
        const priority = options?.priority ?? 1
        const queue = version.queues[priority]
        const created: Array<Wire.BatchCreateWire> = []
        for (let index = 0; index < inputs.length; index++) {
          const record = store(version, inputs[index], sizes[index], false, time, timeout, priority)
          queue.push(record)
          created.push(Wire.batchCreateItem(ids, record))
        }
        schedulePump(version)
        return created
      })

    const statusMask = (filter: string | undefined): number => {
      let mask = 0
      for (const name of (filter ?? "completed").split(",")) {
        const index = statusIndex(name.trim())
        if (index < 0) throw rejected(400, `status must be one of ${statusNames.join(", ")}, got "${filter}"`)
        mask |= 1 << index
      }
      return mask
    }

    const dateParam = (name: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined
      const time = Date.parse(value)
      if (Number.isNaN(time)) throw rejected(400, `${name} must be an ISO 8601 date-time, got "${value}"`)
      return time
    }

    const inputFile = (id: string, input: unknown): RequestFile =>
      typeof input === "string"
        ? { filename: `${id}-input.txt`, contentType: "text/plain; charset=utf-8", body: input }
        : { filename: `${id}-input.json`, contentType: "application/json", body: JSON.stringify(input) }

    const outputFile = (id: string, status: number, output: unknown): RequestFile => {
      if (status !== COMPLETED) {
        throw rejected(404, `Request "${id}" has no output: its status is ${statusNames[status]}`)
      }
      return typeof output === "string"
        ? { filename: `${id}-output.txt`, contentType: "text/plain; charset=utf-8", body: output }
        : { filename: `${id}-output.json`, contentType: "application/json", body: JSON.stringify(output) }
    }

    const projectWire = (project: ProjectState): ProjectWire => ({
      id: project.id,
      name: project.name,
      creation_date: startedAt,
      advanced_permissions: false,
      credits: null,
      organization_name: "ubiops-emulator",
      labels: {}
    })

    const engine: Engine = {
      userEmail,
      startDirect,
      createDirect: (target, data, options) =>
        Effect.flatMap(startDirect(target, data, options), (run) => run.response),
      createBatch,
      get: (target, requestId, options) =>
        attempt(() =>
          Wire.singleDetail(ids, find(resolve(target), requestId), options?.metadataOnly ?? false, userEmail)
        ),
      list: (target, query) =>
        attempt(() => {
          const version = resolve(target)
          const searchId = query?.searchId
          return version.log.page({
            statusMask: statusMask(query?.status),
            offset: query?.offset ?? 0,
            limit: query?.limit ?? defaults.listLimit,
            from: dateParam("start_date", query?.startDate),
            to: dateParam("end_date", query?.endDate),
            match: searchId === undefined || searchId === ""
              ? undefined
              : (record) => ids.format(record.seq, requestIndex).includes(searchId)
          }).map((record) => Wire.listItem(ids, record))
        }),
      collect: (target, requestIds) =>
        attempt(() =>
          findAll(resolve(target), requestIds)
            .sort((a, b) => b.seq - a.seq)
            .map((record) => Wire.detail(ids, record, false))
        ),
      cancel: (target, requestId) =>
        attempt(() => {
          const record = find(resolve(target), requestId)
          cancelRecord(record)
          return Wire.singleDetail(ids, record, false, userEmail)
        }),
      cancelMany: (target, selection) =>
        attempt(() => {
          const version = resolve(target)
          if ("ids" in selection) {
            for (const record of findAll(version, selection.ids)) cancelRecord(record)
          } else if (selection.status === "pending") {
            for (const queue of version.queues) {
              for (const record of queue) cancelRecord(record)
              queue.retain(() => false)
            }
          } else {
            for (const record of [...version.processing]) cancelRecord(record)
          }
        }),
      delete: (target, requestId) => attempt(() => remove(find(resolve(target), requestId))),
      deleteMany: (target, requestIds) =>
        attempt(() => {
          for (const record of findAll(resolve(target), requestIds)) remove(record)
        }),
      getObjectRequest: (target, requestId, options) =>
        attempt(() => {
          const { record, step, steps } = findStep(resolve(target), requestId)
          if (
            options?.pipelineRequestId !== undefined &&
            options.pipelineRequestId !== ids.format(record.seq, requestIndex)
          ) {
            throw rejected(
              404,
              `Object request "${requestId}" not found in pipeline request "${options.pipelineRequestId}"`
            )
          }
          return Wire.objectRequest(ids, record, steps, step, options?.metadataOnly ?? false)
        }),
      getInput: (target, requestId) => attempt(() => inputFile(requestId, find(resolve(target), requestId).input)),
      getOutput: (target, requestId) =>
        attempt(() => {
          const record = find(resolve(target), requestId)
          return outputFile(requestId, record.status, record.result)
        }),
      getObjectInput: (target, requestId) =>
        attempt(() => inputFile(requestId, findStep(resolve(target), requestId).step.input)),
      getObjectOutput: (target, requestId) =>
        attempt(() => {
          const { step } = findStep(resolve(target), requestId)
          return outputFile(requestId, step.status, step.output)
        }),
      getPipeline: (projectName, pipelineName) =>
        attempt((): PipelineWire => {
          const { pipeline } = resolve({ project: projectName, pipeline: pipelineName })
          return {
            id: pipeline.id,
            name: pipeline.name,
            project: pipeline.project.name,
            description: pipeline.description,
            input_type: pipeline.inputType,
            input_fields: [],
            output_type: pipeline.outputType,
            output_fields: [],
            labels: {},
            creation_date: startedAt,
            last_updated: startedAt,
            default_version: pipeline.defaultVersion.name
          }
        }),
      projects: Effect.sync(() => Array.from(projects.values(), projectWire)),
      getProject: (name) =>
        attempt(() => {
          const project = projects.get(name)
          if (project === undefined) throw rejected(404, `Project "${name}" not found`)
          return projectWire(project)
        }),
      stats: Effect.sync((): EngineStats => ({
        created: { total: createdTotal, byPipeline: Object.fromEntries(createdByPipeline) },
        statuses: {
          pending: statusCounts[PENDING],
          processing: statusCounts[PROCESSING],
          completed: statusCounts[COMPLETED],
          failed: statusCounts[FAILED],
          cancelled: statusCounts[CANCELLED]
        },
        stored: bySeq.size,
        evicted
      }))
    }
    return engine
  })
