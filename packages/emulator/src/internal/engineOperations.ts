/**
 * What each operation of `PipelineRequestsApi` does on the engine: the one part the emulator plugs into the
 * core's table of operations. The in-process service (`Emulator.layerPipelineRequests`) and the HTTP app
 * (`EmulatorApp`) both run operations through it, on the request as the server decodes it.
 */
import { Limits } from "@ubiops-effect/core/ApiParams"
import type { OperationId } from "@ubiops-effect/core/PipelineRequestsApi"
import * as Effect from "effect/Effect"
import type * as Engine from "../Engine.js"

/** A request as the server reads it (path, query and body decoded by the contract's schemas). */
export interface ServerRequest {
  readonly path: Record<string, string>
  readonly urlParams?: Record<string, any> | undefined
  readonly payload?: any
}

/**
 * What an operation gave: a JSON body, a file, no body, or a direct request that is running (its response comes
 * when it ends).
 */
export type Outcome =
  | { readonly _tag: "Json"; readonly body: unknown }
  | { readonly _tag: "File"; readonly file: Engine.RequestFile }
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Direct"; readonly run: Engine.DirectRun }

type Kind =
  | "create"
  | "createBatch"
  | "stream"
  | "get"
  | "list"
  | "collect"
  | "cancel"
  | "cancelMany"
  | "delete"
  | "deleteMany"
  | "objectRequest"
  | "input"
  | "output"
  | "objectInput"
  | "objectOutput"

const kinds: Record<OperationId, Kind> = {
  pipelineRequestsCreate: "create",
  pipelineVersionRequestsCreate: "create",
  batchPipelineRequestsCreate: "createBatch",
  batchPipelineVersionRequestsCreate: "createBatch",
  pipelineRequestsStream: "stream",
  pipelineVersionRequestsStream: "stream",
  pipelineRequestsGet: "get",
  pipelineVersionRequestsGet: "get",
  pipelineRequestsList: "list",
  pipelineVersionRequestsList: "list",
  pipelineRequestsBatchGet: "collect",
  pipelineVersionRequestsBatchGet: "collect",
  pipelineRequestsUpdate: "cancel",
  pipelineVersionRequestsUpdate: "cancel",
  pipelineRequestsBatchCancel: "cancelMany",
  pipelineVersionRequestsBatchCancel: "cancelMany",
  pipelineRequestsDelete: "delete",
  pipelineVersionRequestsDelete: "delete",
  pipelineRequestsBatchDelete: "deleteMany",
  pipelineVersionRequestsBatchDelete: "deleteMany",
  pipelineVersionObjectRequestsGet: "objectRequest",
  pipelineRequestsInputGet: "input",
  pipelineVersionRequestsInputGet: "input",
  pipelineRequestsOutputGet: "output",
  pipelineVersionRequestsOutputGet: "output",
  pipelineVersionObjectRequestsInputGet: "objectInput",
  pipelineVersionObjectRequestsOutputGet: "objectOutput"
}

const json = (body: unknown): Outcome => ({ _tag: "Json", body })
const file = (file: Engine.RequestFile): Outcome => ({ _tag: "File", file })
const empty: Outcome = { _tag: "Empty" }
const direct = (run: Engine.DirectRun): Outcome => ({ _tag: "Direct", run })

/**
 * Runs one operation on the engine. `onPartial` receives the partial outputs of a streaming request.
 */
export const run = (
  engine: Engine.Engine,
  operation: OperationId,
  request: ServerRequest,
  onPartial?: (chunk: string) => void
): Effect.Effect<Outcome, Engine.RequestRejected> => {
  const { path, payload } = request
  const urlParams = request.urlParams ?? {}
  const target: Engine.Target = { project: path.project_name, pipeline: path.pipeline_name, version: path.version }
  const versionTarget = { ...target, version: path.version }
  switch (kinds[operation]) {
    case "create":
      return Effect.map(
        engine.startDirect(target, payload, {
          timeout: urlParams.timeout ?? urlParams.pipeline_timeout,
          priority: urlParams.priority
        }),
        direct
      )
    case "createBatch":
      return Effect.map(
        engine.createBatch(target, Array.isArray(payload) ? payload : [payload], {
          timeout: urlParams.timeout,
          priority: urlParams.priority
        }),
        json
      )
    case "stream":
      return Effect.map(
        engine.startDirect(target, payload, {
          timeout: urlParams.timeout ?? Limits.streamTimeout.default,
          ...(onPartial === undefined ? {} : { onPartial })
        }),
        direct
      )
    case "get":
      return Effect.map(engine.get(target, path.request_id, { metadataOnly: urlParams.metadata_only }), json)
    case "list":
      return Effect.map(
        engine.list(target, {
          status: urlParams.status,
          limit: urlParams.limit,
          offset: urlParams.offset,
          startDate: urlParams.start_date,
          endDate: urlParams.end_date,
          searchId: urlParams.search_id
        }),
        json
      )
    case "collect":
      return Effect.map(engine.collect(target, payload), json)
    case "cancel":
      return Effect.map(engine.cancel(target, path.request_id), json)
    case "cancelMany":
      return Effect.as(
        engine.cancelMany(target, urlParams.status === undefined ? { ids: payload } : { status: urlParams.status }),
        json({})
      )
    case "delete":
      return Effect.as(engine.delete(target, path.request_id), empty)
    case "deleteMany":
      return Effect.as(engine.deleteMany(target, payload), json({}))
    case "objectRequest":
      return Effect.map(
        engine.getObjectRequest(versionTarget, path.request_id, {
          metadataOnly: urlParams.metadata_only,
          pipelineRequestId: urlParams.pipeline_request_id
        }),
        json
      )
    case "input":
      return Effect.map(engine.getInput(target, path.request_id), file)
    case "output":
      return Effect.map(engine.getOutput(target, path.request_id), file)
    case "objectInput":
      return Effect.map(engine.getObjectInput(versionTarget, path.request_id), file)
    case "objectOutput":
      return Effect.map(engine.getObjectOutput(versionTarget, path.request_id), file)
  }
}
