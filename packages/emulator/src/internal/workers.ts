/**
 * Running requests: a queue per version worked by the version's number of workers (priority 0 before 1), a
 * fiber per running request that runs its objects in order, a timer per running request that fails it when
 * its timeout passes (counted from the start of processing), and cancellation, which stops the fiber.
 *
 * Every fiber (the workers of each version, the runs, the timers) belongs to one `FiberSet` in the engine's
 * scope: closing the scope stops them all. A run whose objects finish without waiting (no latency, nothing
 * asynchronous) ends inside the call that started it, and gets no timer.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { ObjectContext } from "../PipelineDefinition.js"
import { runObject } from "./catalog.js"
import { messageOf } from "./input.js"
import {
  CANCELLED,
  COMPLETED,
  FAILED,
  isFinished,
  PENDING,
  PROCESSING,
  type RequestRecord,
  type RunnableObject,
  Step,
  type VersionState
} from "./records.js"
import type { RequestStore } from "./RequestStore.js"

export interface Workers {
  /** Starts a request now, outside its version's queue (a direct request). */
  readonly startNow: (record: RequestRecord) => void
  /** Queues batch requests of a version, and lets its workers take them. */
  readonly enqueue: (version: VersionState, records: ReadonlyArray<RequestRecord>) => Effect.Effect<void>
  /** Cancels requests that have not finished, and waits until their runs have stopped. */
  readonly cancel: (records: Iterable<RequestRecord>) => Effect.Effect<void>
  /** Cancels every pending request of a version. */
  readonly cancelPending: (version: VersionState) => void
  /** Deletes requests (cancelling those that have not finished), and waits until their runs have stopped. */
  readonly remove: (records: Iterable<RequestRecord>) => Effect.Effect<void>
}

/** Workers take at most this many requests in one go before they let other fibers run. */
const startsPerTurn = 1000

const article = (kind: RunnableObject["kind"]) =>
  kind === "deployment" ? "a deployment" : kind === "operator" ? "an operator" : "a sub-pipeline"

const causeMessage = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return messageOf(failure.value)
  const defect = Cause.dieOption(cause)
  return Option.isSome(defect) ? messageOf(defect.value) : "interrupted"
}

const takePending = (version: VersionState): RequestRecord | undefined => {
  for (const queue of version.queues) {
    for (let record = queue.shift(); record !== undefined; record = queue.shift()) {
      if (record.status === PENDING && !record.deleted) return record
    }
  }
  return undefined
}

const hasPending = (version: VersionState) => version.queues[0].length > 0 || version.queues[1].length > 0

export const makeWorkers = (
  store: RequestStore,
  versions: ReadonlyArray<VersionState>
): Effect.Effect<Workers, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fork = yield* FiberSet.makeRuntime<never, void, never>()
    const wakeUps = new Map<VersionState, Effect.Latch>()
    let closed = false
    const now = store.now

    /** Runs the objects of a request in order; a failing object fails the request, naming the object. */
    const runObjects = (record: RequestRecord): Effect.Effect<void> => {
      const version = record.version
      const objects = version.objects
      const context: ObjectContext = {
        project: version.pipeline.project.name,
        pipeline: version.pipeline.name,
        version: version.name,
        requestId: store.idOf(record),
        emit: (chunk) => Effect.sync(() => record.onPartial?.(chunk))
      }
      const go = (index: number, input: unknown): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (record.status !== PROCESSING) return Effect.interrupt
          if (index >= objects.length) return Effect.sync(() => store.complete(record, input))
          const object = objects[index]
          const step = new Step(index, object, now(), input)
          if (record.steps === null) record.steps = [step]
          else record.steps.push(step)
          return Effect.matchCauseEffect(runObject(object, input, context), {
            onFailure: (cause) => {
              if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
              const message = causeMessage(cause)
              if (step.status === PROCESSING) {
                step.status = FAILED
                step.errorMessage = message
                step.timeCompleted = now()
              }
              store.finish(
                record,
                FAILED,
                null,
                `Error while processing ${article(object.kind)} request (object "${object.name}"): ${message}`
              )
              return Effect.void
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
      return go(0, record.input)
    }

    /** Frees what a run holds: its timer, and a batch request's worker. A run releases itself when it ends;
     * a run that is stopped (cancel, delete, timeout) is released by whoever stopped it, once it has stopped. */
    const release = (record: RequestRecord): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!record.inRun) return Effect.void
        record.inRun = false
        record.fiber = undefined
        const timer = record.timer
        record.timer = undefined
        const freed = record.direct ? Effect.void : workerFreed(record.version)
        return timer === undefined ? freed : Effect.zipRight(Fiber.interrupt(timer), freed)
      })

    /** Stops the runs of requests that were just finished (cancelled, or timed out), and releases them. */
    const stopRuns = (records: ReadonlyArray<RequestRecord>): Effect.Effect<void> => {
      const fibers: Array<Fiber.RuntimeFiber<void>> = []
      for (const record of records) if (record.fiber !== undefined) fibers.push(record.fiber)
      if (fibers.length === 0) return Effect.void
      return Effect.zipRight(Fiber.interruptAll(fibers), Effect.forEach(records, release, { discard: true }))
    }

    /** A run: its objects, then its release (an interrupted run skips both; see `release`). */
    const run = (record: RequestRecord): Effect.Effect<void> =>
      Effect.matchCauseEffect(runObjects(record), {
        onFailure: (cause) => {
          if (record.status === PROCESSING) {
            store.finish(record, FAILED, null, `The request stopped unexpectedly: ${causeMessage(cause)}`)
          }
          return release(record)
        },
        onSuccess: () => release(record)
      })

    const timeOut = (record: RequestRecord): Effect.Effect<void> =>
      Effect.suspend(() => {
        record.timer = undefined
        if (record.status !== PROCESSING) return Effect.void
        store.finish(
          record,
          FAILED,
          null,
          `The request timed out: it ran longer than its timeout of ${record.timeout} seconds`
        )
        return stopRuns([record])
      })

    /** Starts a request: it is processing from now. A request of a version whose objects all pass their input
     * through completes at once, without a fiber (its object requests are not stored: see `stepsOf`). */
    const start = (record: RequestRecord) => {
      store.startProcessing(record)
      if (record.version.passThrough) {
        store.complete(record, record.input)
        if (!record.direct) record.version.running--
        return
      }
      record.inRun = true
      const fiber = fork(run(record))
      if (!record.inRun) return
      record.fiber = fiber
      const remaining = Math.max(0, record.timeStarted + record.timeout * 1000 - now())
      record.timer = fork(Effect.zipRight(Effect.sleep(Duration.millis(remaining)), timeOut(record)))
    }

    /** Starts pending requests while workers are free; says whether it stopped with more to start. */
    const startPending = (version: VersionState): boolean => {
      let started = 0
      while (!closed && version.running < version.workers) {
        const record = takePending(version)
        if (record === undefined) return false
        version.running++
        start(record)
        if (++started >= startsPerTurn) return hasPending(version)
      }
      return false
    }

    const workerFreed = (version: VersionState): Effect.Effect<void> =>
      Effect.suspend(() => {
        version.running--
        return hasPending(version) ? wakeUps.get(version)!.open : Effect.void
      })

    /** The workers of a version: asleep until requests are queued or a worker is freed. */
    const work = (version: VersionState, wakeUp: Effect.Latch): Effect.Effect<never> => {
      const drain: Effect.Effect<void> = Effect.suspend(() =>
        startPending(version) ? Effect.zipRight(Effect.yieldNow(), drain) : Effect.void
      )
      return Effect.forever(Effect.zipRight(Effect.zipRight(wakeUp.await, wakeUp.close), drain))
    }

    for (const version of versions) {
      const wakeUp = yield* Effect.makeLatch(false)
      wakeUps.set(version, wakeUp)
      fork(work(version, wakeUp))
    }

    /** Finishes a request as cancelled; says whether it was running. */
    const cancelOne = (record: RequestRecord): boolean => {
      if (isFinished(record.status)) return false
      store.finish(record, CANCELLED, null, null)
      return record.fiber !== undefined
    }

    // Closing the scope fails what is still processing; the FiberSet (closed after this) then stops the fibers.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        for (const version of versions) {
          for (const record of [...version.processing]) store.finish(record, FAILED, null, "The emulator was shut down")
        }
      })
    )

    return {
      startNow: start,
      enqueue: (version, records) =>
        Effect.suspend(() => {
          const queue = records.length > 0 ? version.queues[records[0].priority] : undefined
          for (const record of records) queue!.push(record)
          return closed || version.running >= version.workers || !hasPending(version)
            ? Effect.void
            : wakeUps.get(version)!.open
        }),
      cancel: (records) =>
        Effect.suspend(() => {
          const running: Array<RequestRecord> = []
          for (const record of records) if (cancelOne(record)) running.push(record)
          return stopRuns(running)
        }),
      cancelPending: (version) => {
        for (const queue of version.queues) {
          for (const record of queue) cancelOne(record)
          queue.retain(() => false)
        }
      },
      remove: (records) =>
        Effect.suspend(() => {
          const running: Array<RequestRecord> = []
          for (const record of records) {
            if (cancelOne(record)) running.push(record)
            store.remove(record)
          }
          return stopRuns(running)
        })
    }
  })
