/**
 * The engine's operations, assembled from its parts: the catalog of projects and versions, the request
 * store, the workers, and the wire shapes.
 */
import { Limits } from "@ubiops-effect/core/ApiParams"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import type { DirectRun, Engine, EngineOptions, RequestRejected, Target } from "../Engine.js"
import { problems } from "../PipelineDefinition.js"
import { makeCatalog } from "./catalog.js"
import { inputFile, outputFile } from "./downloads.js"
import { makeIdScheme } from "./ids.js"
import { acceptInput, acceptInputs } from "./input.js"
import { page } from "./listing.js"
import type { RequestRecord } from "./records.js"
import { rejected } from "./rejected.js"
import { RequestStore } from "./RequestStore.js"
import * as Wire from "./wire.js"
import { makeWorkers } from "./workers.js"

export const defaults = {
  maxFinishedRequests: 1_000_000,
  userEmail: "emulator@ubiops.local",
  listLimit: Limits.listLimit.default
} as const

export const make = (options: EngineOptions): Effect.Effect<Engine, never, Scope.Scope> =>
  Effect.gen(function*() {
    const issues = problems(options.projects)
    if (issues.length > 0) return yield* Effect.dieMessage(`Invalid emulator pipelines: ${issues.join("; ")}`)
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const ids = makeIdScheme()
    const userEmail = options.userEmail ?? defaults.userEmail
    const catalog = makeCatalog(options.projects, ids, now())
    const store = new RequestStore(
      ids,
      now,
      Math.max(0, options.maxFinishedRequests ?? defaults.maxFinishedRequests),
      options.visibilityDelayMillis
    )
    const workers = yield* makeWorkers(store, catalog.versions)
    /** Every operation starts here: what became visible meanwhile is published first. */
    const resolve = (target: Target) => {
      store.publishDue()
      return catalog.resolve(target)
    }
    const findRequest = (target: Target, requestId: string) =>
      Either.flatMap(resolve(target), (version) => store.find(version, requestId))
    const findRequests = (target: Target, requestIds: ReadonlyArray<string>) =>
      Either.flatMap(resolve(target), (version) => store.findAll(version, requestIds))
    const findStep = (target: Target, requestId: string) =>
      Either.flatMap(resolve(target), (version) => store.findStep(version, requestId))
    /** The input and output of a request are kept only with retention `full`. */
    const stored = <A extends { readonly record: RequestRecord }>(
      found: Either.Either<A, RequestRejected>,
      requestId: string
    ): Either.Either<A, RequestRejected> =>
      Either.flatMap(found, (value) =>
        value.record.version.keepsData
          ? Either.right(value)
          : rejected(
            404,
            `The data of request "${requestId}" is not stored (request_retention_mode ` +
              `"${value.record.version.retention}")`
          ))
    const withRecord = (found: Either.Either<RequestRecord, RequestRejected>) =>
      Either.map(found, (record) => ({ record }))

    const startDirect: Engine["startDirect"] = (target, data, options) =>
      Effect.gen(function*() {
        const version = yield* resolve(target)
        const accepted = yield* acceptInput(version, data, "data", true)
        const record = store.create(version, {
          direct: true,
          timeCreated: store.creationTime(),
          input: accepted.input,
          inputSize: accepted.size,
          timeout: options?.timeout ?? Limits.directTimeout.default,
          priority: options?.priority ?? 1
        })
        record.onPartial = options?.onPartial
        const done = yield* Deferred.make<void>()
        record.done = done
        workers.startNow(record)
        const run: DirectRun = {
          id: store.idOf(record),
          response: Effect.map(Deferred.await(done), () => Wire.createResponse(ids, record))
        }
        return run
      })

    return {
      userEmail,
      startDirect,
      createDirect: (target, data, options) =>
        Effect.flatMap(startDirect(target, data, options), (run) => run.response),
      createBatch: (target, data, options) =>
        Effect.gen(function*() {
          const version = yield* resolve(target)
          const inputs = yield* acceptInputs(version, data)
          const timeCreated = store.creationTime()
          const timeout = options?.timeout ?? Limits.batchTimeout.default
          const priority = options?.priority ?? 1
          const records = inputs.map((accepted) =>
            store.create(version, {
              direct: false,
              timeCreated,
              input: accepted.input,
              inputSize: accepted.size,
              timeout,
              priority
            })
          )
          const created = records.map((record) => Wire.batchCreateItem(ids, record))
          yield* workers.enqueue(version, records)
          return created
        }),
      get: (target, requestId, options) =>
        Effect.suspend(() =>
          Effect.map(
            findRequest(target, requestId),
            (record) => Wire.singleDetail(ids, record, options?.metadataOnly ?? false, userEmail)
          )
        ),
      list: (target, query) =>
        Effect.suspend(() =>
          Effect.map(
            Either.flatMap(resolve(target), (version) => page(version, query, defaults.listLimit, store.idOf)),
            (records) => records.map((record) => Wire.listItem(ids, record))
          )
        ),
      collect: (target, requestIds) =>
        Effect.suspend(() =>
          Effect.map(
            findRequests(target, requestIds),
            (records) => records.sort((a, b) => b.seq - a.seq).map((record) => Wire.detail(ids, record, false))
          )
        ),
      cancel: (target, requestId) =>
        Effect.gen(function*() {
          const record = yield* findRequest(target, requestId)
          yield* workers.cancel([record])
          return Wire.singleDetail(ids, record, false, userEmail)
        }),
      cancelMany: (target, selection) =>
        Effect.gen(function*() {
          const version = yield* resolve(target)
          if ("ids" in selection) return yield* workers.cancel(yield* store.findAll(version, selection.ids))
          if (selection.status === "pending") return workers.cancelPending(version)
          return yield* workers.cancel([...version.processing])
        }),
      delete: (target, requestId) =>
        Effect.suspend(() => Effect.flatMap(findRequest(target, requestId), (record) => workers.remove([record]))),
      deleteMany: (target, requestIds) =>
        Effect.suspend(() => Effect.flatMap(findRequests(target, requestIds), workers.remove)),
      getObjectRequest: (target, requestId, options) =>
        Effect.gen(function*() {
          const { record, step, steps } = yield* findStep(target, requestId)
          const parent = options?.pipelineRequestId
          if (parent !== undefined && parent !== store.idOf(record)) {
            return yield* rejected(404, `Object request "${requestId}" not found in pipeline request "${parent}"`)
          }
          return Wire.objectRequest(ids, record, steps, step, options?.metadataOnly ?? false)
        }),
      getInput: (target, requestId) =>
        Effect.suspend(() =>
          Effect.map(
            stored(withRecord(findRequest(target, requestId)), requestId),
            ({ record }) => inputFile(requestId, record.input)
          )
        ),
      getOutput: (target, requestId) =>
        Effect.suspend(() =>
          Either.flatMap(
            stored(withRecord(findRequest(target, requestId)), requestId),
            ({ record }) => outputFile(requestId, Wire.shownStatus(record), record.result)
          )
        ),
      getObjectInput: (target, requestId) =>
        Effect.suspend(() =>
          Effect.map(stored(findStep(target, requestId), requestId), ({ step }) => inputFile(requestId, step.input))
        ),
      getObjectOutput: (target, requestId) =>
        Effect.suspend(() =>
          Either.flatMap(
            stored(findStep(target, requestId), requestId),
            ({ step }) => outputFile(requestId, step.status, step.output)
          )
        ),
      getPipeline: (project, pipeline) =>
        Effect.suspend(() =>
          Effect.map(resolve({ project, pipeline }), (version) => catalog.pipelineWire(version.pipeline))
        ),
      projects: Effect.sync(() => Array.from(catalog.projects.values(), catalog.projectWire)),
      getProject: (name) => Effect.suspend(() => Effect.map(catalog.project(name), catalog.projectWire)),
      stats: Effect.sync(() => {
        store.publishDue()
        return store.stats()
      })
    } satisfies Engine
  })
