/**
 * A `PipelineRequests` proxy that records every call (when, which ids, what came back) and can hold or fail
 * chosen calls, for tests that assert what a run sends.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { isTerminalStatus } from "@ubiops-effect/core/Models"
import type { Service } from "@ubiops-effect/core/PipelineRequests"
import { Clock, Effect } from "effect"

export interface CollectCall {
  readonly at: number
  readonly ids: ReadonlyArray<string>
  readonly details: ReadonlyArray<PipelineRequestDetail>
}

export interface CreateCall {
  readonly startedAt: number
  readonly inputs: number
  ids: ReadonlyArray<string>
  endedAt: number
}

export interface Hooks {
  /** Runs before each create is passed on (a delay, a failure). */
  readonly beforeCreate?: (call: number) => Effect.Effect<void, any>
  /** Runs before each collect is passed on. */
  readonly beforeCollect?: (call: number) => Effect.Effect<void, any>
  /** Replaces each cancel-many. */
  readonly cancelBatch?: Service["cancelBatch"]
}

export class Recorder {
  readonly creates: Array<CreateCall> = []
  readonly collects: Array<CollectCall> = []
  readonly cancels: Array<ReadonlyArray<string>> = []
  readonly lists: Array<{ readonly offset: number | undefined; readonly limit: number | undefined }> = []
  /** Ids seen terminal by a collect, and when. */
  readonly terminalAt = new Map<string, number>()
  collectAttempts = 0
  createsInFlight = 0
  maxCreatesInFlight = 0

  get createdIds(): number {
    return this.creates.reduce((sum, call) => sum + call.ids.length, 0)
  }

  /** Collects that asked for an id an earlier collect had already seen terminal. */
  askedForTerminal(): Array<string> {
    const seen = new Set<string>()
    const again: Array<string> = []
    for (const call of this.collects) {
      for (const id of call.ids) if (seen.has(id)) again.push(id)
      for (const detail of call.details) if (isTerminalStatus(detail.status)) seen.add(detail.id)
    }
    return again
  }

  wrap(service: Service, hooks: Hooks = {}): Service {
    return {
      ...service,
      createBatch: (target, data, options) =>
        Effect.gen(this, function*() {
          const call: CreateCall = {
            startedAt: yield* Clock.currentTimeMillis,
            inputs: data.length,
            ids: [],
            endedAt: 0
          }
          this.creates.push(call)
          this.createsInFlight++
          this.maxCreatesInFlight = Math.max(this.maxCreatesInFlight, this.createsInFlight)
          return yield* Effect.gen(this, function*() {
            if (hooks.beforeCreate !== undefined) yield* hooks.beforeCreate(this.creates.length - 1)
            const created = yield* service.createBatch(target, data, options)
            call.ids = created.map((item) => item.id)
            call.endedAt = yield* Clock.currentTimeMillis
            return created
          }).pipe(Effect.ensuring(Effect.sync(() => this.createsInFlight--)))
        }),
      collect: (target, ids, options) =>
        Effect.gen(this, function*() {
          const index = this.collectAttempts++
          if (hooks.beforeCollect !== undefined) yield* hooks.beforeCollect(index)
          const at = yield* Clock.currentTimeMillis
          const details = yield* service.collect(target, ids, options)
          this.collects.push({ at, ids: [...ids], details })
          for (const detail of details) {
            if (isTerminalStatus(detail.status) && !this.terminalAt.has(detail.id)) this.terminalAt.set(detail.id, at)
          }
          return details
        }),
      cancelBatch: (target, selection, options) =>
        Effect.suspend(() => {
          if (Array.isArray(selection)) this.cancels.push([...selection])
          return hooks.cancelBatch !== undefined
            ? hooks.cancelBatch(target, selection, options)
            : service.cancelBatch(target, selection, options)
        }),
      list: (target, options) =>
        Effect.suspend(() => {
          this.lists.push({ offset: options?.offset, limit: options?.limit })
          return service.list(target, options)
        })
    }
  }
}
