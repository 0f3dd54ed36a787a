/**
 * The requests an engine holds: created in sequence, found by id (an id is parsed, never stored), moved
 * through the status machine (pending, processing, then one final status), deleted, and dropped oldest
 * finished first when more finished requests are stored than `maxFinished` allows. It keeps the counters the
 * stats report.
 *
 * Storage is asynchronous on the real service: a finished request can take a couple of seconds to show its final
 * status. With a visibility delay, a request that finished is published (shown as finished, listed under its final
 * status) only that long after; until then reads show it as it was. A request of a version with retention `none` is
 * forgotten when it is published.
 */
import * as Deferred from "effect/Deferred"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type { EngineStats } from "../Engine.js"
import { type IdScheme, requestIndex } from "./ids.js"
import { checkOutput } from "./input.js"
import {
  CANCELLED,
  COMPLETED,
  FAILED,
  isFinished,
  PENDING,
  PROCESSING,
  RequestRecord,
  type Step,
  stepsOf,
  type VersionState
} from "./records.js"
import { rejected, type RequestRejected } from "./rejected.js"
import { RingQueue } from "./RingQueue.js"

/** An object request found by its id, with the request it belongs to. */
export interface FoundStep {
  readonly record: RequestRecord
  readonly steps: ReadonlyArray<Step>
  readonly step: Step
}

/** What a new request is given at creation. */
export interface NewRequest {
  readonly direct: boolean
  readonly timeCreated: number
  readonly input: unknown
  readonly inputSize: number
  /** Seconds. */
  readonly timeout: number
  readonly priority: 0 | 1
}

export class RequestStore {
  private readonly bySeq = new Map<number, RequestRecord>()
  /** Finished requests in the order they finished (deleted ones are skipped when retention takes from it). */
  private readonly finished = new RingQueue<RequestRecord>()
  /** Finished requests not published yet, in the order they finished. */
  private readonly unpublished = new RingQueue<RequestRecord>()
  private readonly statusCounts = [0, 0, 0, 0, 0]
  private readonly createdByPipeline = new Map<string, number>()
  private createdTotal = 0
  private finishedStored = 0
  private evicted = 0
  private nextSeq = 1
  private lastCreated = 0

  constructor(
    readonly ids: IdScheme,
    /** Epoch milliseconds, from the engine's `Clock`. */
    readonly now: () => number,
    private readonly maxFinished: number,
    /** Milliseconds from a request's finish to its publication, read at each finish. */
    private readonly visibilityDelay: () => number = () => 0
  ) {}

  /** Creation times never go backwards, so that creation order is time order (the list index relies on it). */
  creationTime(): number {
    this.lastCreated = Math.max(this.lastCreated, this.now())
    return this.lastCreated
  }

  create(version: VersionState, request: NewRequest): RequestRecord {
    const record = new RequestRecord(
      this.nextSeq++,
      version,
      request.direct,
      request.timeCreated,
      request.input,
      request.inputSize,
      request.timeout,
      request.priority
    )
    version.log.append(record)
    this.bySeq.set(record.seq, record)
    this.statusCounts[PENDING]++
    this.createdTotal++
    const name = version.pipeline.name
    this.createdByPipeline.set(name, (this.createdByPipeline.get(name) ?? 0) + 1)
    return record
  }

  readonly idOf = (record: RequestRecord): string => this.ids.format(record.seq, requestIndex)

  lookup(version: VersionState, requestId: string): RequestRecord | undefined {
    const parsed = this.ids.parse(requestId)
    if (parsed === undefined || parsed.index !== requestIndex) return undefined
    const record = this.bySeq.get(parsed.seq)
    return record !== undefined && record.version === version ? record : undefined
  }

  find(version: VersionState, requestId: string): Either.Either<RequestRecord, RequestRejected> {
    const record = this.lookup(version, requestId)
    return record === undefined ? rejected(404, `Pipeline request "${requestId}" not found`) : Either.right(record)
  }

  /** The requests with these ids (each once), or a 404 naming every missing one. */
  findAll(
    version: VersionState,
    requestIds: ReadonlyArray<string>
  ): Either.Either<Array<RequestRecord>, RequestRejected> {
    const records: Array<RequestRecord> = []
    const missing: Array<string> = []
    for (const requestId of new Set(requestIds)) {
      const record = this.lookup(version, requestId)
      if (record === undefined) missing.push(requestId)
      else records.push(record)
    }
    return missing.length > 0
      ? rejected(404, `Pipeline request${missing.length > 1 ? "s" : ""} not found: ${missing.join(", ")}`)
      : Either.right(records)
  }

  findStep(version: VersionState, requestId: string): Either.Either<FoundStep, RequestRejected> {
    const parsed = this.ids.parse(requestId)
    const record = parsed === undefined || parsed.index === requestIndex ? undefined : this.bySeq.get(parsed.seq)
    const steps = record !== undefined && record.version === version ? stepsOf(record) : null
    const step = steps?.[parsed!.index]
    return record === undefined || steps === null || step === undefined
      ? rejected(404, `Object request "${requestId}" not found`)
      : Either.right({ record, steps, step })
  }

  changeStatus(record: RequestRecord, status: number): void {
    this.statusCounts[record.status]--
    this.statusCounts[status]++
    record.status = status
    if (record.publishAt < 0) record.version.log.setStatus(record, status)
  }

  /** Publishes the finished requests whose visibility delay has passed; reads call it first. */
  publishDue(): void {
    if (this.unpublished.length === 0) return
    const now = this.now()
    for (;;) {
      const record = this.unpublished.peek()
      if (record === undefined || (!record.deleted && record.publishAt > now)) break
      this.unpublished.shift()
      if (!record.deleted) this.publish(record)
    }
  }

  private publish(record: RequestRecord): void {
    record.publishAt = -1
    record.version.log.setStatus(record, record.status)
    if (record.version.retention === "none") {
      this.remove(record)
      this.evicted++
    }
  }

  startProcessing(record: RequestRecord): void {
    this.changeStatus(record, PROCESSING)
    record.timeStarted = this.now()
    record.version.processing.add(record)
  }

  /** Moves a request to a final status, now. A request that already finished is left alone. */
  finish(record: RequestRecord, status: number, result: unknown, errorMessage: string | null): void {
    if (isFinished(record.status)) return
    const time = this.now()
    const delay = this.visibilityDelay()
    if (delay > 0) record.publishAt = time + delay
    this.changeStatus(record, status)
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
    this.finished.push(record)
    this.finishedStored++
    const done = record.done
    record.done = undefined
    record.onPartial = undefined
    if (done !== undefined) Deferred.unsafeDone(done, Exit.void)
    if (record.publishAt >= 0) this.unpublished.push(record)
    else if (record.version.retention === "none") this.publish(record)
    this.enforceRetention()
  }

  /** Completes a request with its output, or fails it when the output does not fit the pipeline. */
  complete(record: RequestRecord, output: unknown): void {
    const size = checkOutput(record.version.pipeline.outputType, output, {
      input: record.input,
      size: record.inputSize
    })
    if (Either.isLeft(size)) return this.finish(record, FAILED, null, size.left)
    record.outputSize = size.right
    this.finish(record, COMPLETED, output, null)
  }

  /** Deletes a request; one that has not finished is cancelled first (its fiber is the caller's to stop). */
  remove(record: RequestRecord): void {
    if (record.deleted) return
    if (!isFinished(record.status)) {
      this.finish(record, CANCELLED, null, null)
      if (record.deleted) return
    }
    record.deleted = true
    record.version.log.remove(record)
    this.bySeq.delete(record.seq)
    this.statusCounts[record.status]--
    this.finishedStored--
  }

  private enforceRetention(): void {
    while (this.finishedStored > this.maxFinished) {
      const oldest = this.finished.shift()
      if (oldest === undefined) break
      if (oldest.deleted) continue
      this.remove(oldest)
      this.evicted++
    }
    if (this.finished.length > 2 * this.finishedStored + 1024) this.finished.retain((record) => !record.deleted)
  }

  stats(): EngineStats {
    const counts = this.statusCounts
    return {
      created: { total: this.createdTotal, byPipeline: Object.fromEntries(this.createdByPipeline) },
      statuses: {
        pending: counts[PENDING],
        processing: counts[PROCESSING],
        completed: counts[COMPLETED],
        failed: counts[FAILED],
        cancelled: counts[CANCELLED]
      },
      stored: this.bySeq.size,
      evicted: this.evicted
    }
  }
}
