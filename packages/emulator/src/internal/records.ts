/**
 * What the engine stores: pipeline versions with their queues and request logs, requests, and the object
 * requests (steps) of each request.
 */
import type * as Deferred from "effect/Deferred"
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type { DataType, ObjectContext, RetentionMode } from "../PipelineDefinition.js"
import type { LogEntry } from "./RequestLog.js"
import { RequestLog } from "./RequestLog.js"
import { RingQueue } from "./RingQueue.js"

export const PENDING = 0
export const PROCESSING = 1
export const COMPLETED = 2
export const FAILED = 3
export const CANCELLED = 4

export const statusNames = ["pending", "processing", "completed", "failed", "cancelled"] as const

export type StatusName = typeof statusNames[number]

export const statusIndex = (name: string): number => statusNames.indexOf(name as StatusName)

export const isFinished = (status: number): boolean => status >= COMPLETED

/** An object of a version, ready to run. */
export interface RunnableObject {
  readonly kind: "deployment" | "operator" | "pipeline"
  readonly name: string
  /** The deployment, operator type or sub-pipeline it calls. */
  readonly target: string
  /** The deployment's or sub-pipeline's version (null for operators). */
  readonly version: string | null
  readonly latencyMillis: number
  readonly run: (input: unknown, context: ObjectContext) => Effect.Effect<unknown, unknown>
  /** Returns its input at once (no function, no latency): runs without a fiber. */
  readonly passThrough: boolean
}

export interface ProjectState {
  readonly name: string
  readonly id: string
  readonly pipelines: Map<string, PipelineState>
}

export interface PipelineState {
  readonly project: ProjectState
  readonly name: string
  readonly id: string
  readonly description: string
  readonly inputType: DataType
  readonly outputType: DataType
  readonly versions: Map<string, VersionState>
  readonly defaultVersion: VersionState
}

export class VersionState {
  readonly log = new RequestLog<RequestRecord>()
  /** Pending batch requests by priority (0 first); cancelled or deleted ones are skipped when taken. */
  readonly queues: readonly [RingQueue<RequestRecord>, RingQueue<RequestRecord>] = [new RingQueue(), new RingQueue()]
  /** Requests in `processing`, direct and batch. */
  readonly processing = new Set<RequestRecord>()
  /** Batch requests running now (at most `workers`). */
  running = 0
  objects: ReadonlyArray<RunnableObject> = []
  /** Every object passes its input through: a request completes the moment it starts. */
  passThrough = false

  constructor(
    readonly pipeline: PipelineState,
    readonly name: string,
    readonly workers: number,
    readonly retention: RetentionMode
  ) {}

  /** Whether the input and output of its requests are stored (retention `full`). */
  get keepsData(): boolean {
    return this.retention === "full"
  }
}

/** The request of one object of a pipeline request. */
export class Step {
  status = PROCESSING
  timeCompleted = -1
  output: unknown = null
  errorMessage: string | null = null
  inputSize = -1
  outputSize = -1

  constructor(
    readonly index: number,
    readonly object: RunnableObject,
    readonly timeCreated: number,
    readonly input: unknown
  ) {}
}

export class RequestRecord implements LogEntry {
  status = PENDING
  /** The status reads show: `status`, except for a while after it finished (see `publishAt`). */
  listedStatus = PENDING
  /** While at least 0: the request finished, and reads show it as it was before until this time (epoch ms). */
  publishAt = -1
  chunk: LogEntry["chunk"] = undefined
  timeStarted = -1
  timeCompleted = -1
  result: unknown = null
  outputSize = -1
  errorMessage: string | null = null
  steps: Array<Step> | null = null
  /** Between the start of a run and its release (see `workers.ts`). */
  inRun = false
  /** The fiber running the request's objects, while it runs (a run that ends at once has none). */
  fiber: Fiber.RuntimeFiber<void> | undefined = undefined
  /** The fiber that fails the request when its timeout passes, while it runs. */
  timer: Fiber.RuntimeFiber<void> | undefined = undefined
  /** Completed when the request finishes, for whoever waits on it (the caller of a direct request). */
  done: Deferred.Deferred<void> | undefined = undefined
  onPartial: ((chunk: string) => void) | undefined = undefined
  deleted = false

  constructor(
    readonly seq: number,
    readonly version: VersionState,
    readonly direct: boolean,
    readonly timeCreated: number,
    readonly input: unknown,
    readonly inputSize: number,
    readonly timeout: number,
    readonly priority: 0 | 1
  ) {}
}

/**
 * The object requests of a request. A request of a pass-through version stores none: they are all the same
 * (each object completed at the request's start, with the request's input), so they are made when asked for.
 */
export const stepsOf = (record: RequestRecord): ReadonlyArray<Step> | null => {
  if (record.steps !== null || !record.version.passThrough || record.timeStarted < 0) return record.steps
  return record.version.objects.map((object, index) => {
    const step = new Step(index, object, record.timeStarted, record.input)
    step.status = COMPLETED
    step.output = record.input
    step.timeCompleted = record.timeStarted
    step.inputSize = record.inputSize
    step.outputSize = record.inputSize
    return step
  })
}
