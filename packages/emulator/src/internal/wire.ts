/**
 * The engine's records as the JSON bodies of the UbiOps API (UBIOPS-WIRE.md §2). The types are the encoded
 * forms of the core models, so the compiler checks every body against the contract the client decodes.
 */
import type {
  OperatorRequestDetail,
  PipelineRequestBatchCreateResponse,
  PipelineRequestCreateResponse,
  PipelineRequestDeploymentRequest,
  PipelineRequestDetail,
  PipelineRequestList,
  PipelineRequestOperatorRequest,
  PipelineRequestPipelineRequest,
  PipelineRequestSingleDetail
} from "@ubiops-effect/core/Models"
import type * as Schema from "effect/Schema"
import type { IdScheme } from "./ids.js"
import { requestIndex } from "./ids.js"
import type { RequestRecord, Step } from "./records.js"
import { COMPLETED, statusNames } from "./records.js"

export type BatchCreateWire = Schema.Schema.Encoded<typeof PipelineRequestBatchCreateResponse>
export type CreateResponseWire = Schema.Schema.Encoded<typeof PipelineRequestCreateResponse>
export type ListItemWire = Schema.Schema.Encoded<typeof PipelineRequestList>
export type DetailWire = Schema.Schema.Encoded<typeof PipelineRequestDetail>
export type SingleDetailWire = Schema.Schema.Encoded<typeof PipelineRequestSingleDetail>
export type DeploymentRequestWire = Schema.Schema.Encoded<typeof PipelineRequestDeploymentRequest>
export type OperatorRequestWire = Schema.Schema.Encoded<typeof PipelineRequestOperatorRequest>
export type PipelineRequestWire = Schema.Schema.Encoded<typeof PipelineRequestPipelineRequest>
/** `OperatorRequestDetail` as sent: the object's name under both `pipeline_object` and `object` (§2.10). */
export type ObjectRequestWire = Schema.Schema.Encoded<typeof OperatorRequestDetail> & { readonly object: string }

/** ISO 8601 with an explicit offset, as UbiOps writes it: `2020-03-28T20:00:26.613+00:00`. */
export const timestamp = (millis: number): string => `${new Date(millis).toISOString().slice(0, -1)}+00:00`

const optionalTimestamp = (millis: number): string | null => millis < 0 ? null : timestamp(millis)

/** Byte length of a string (UTF-8), or of the compact JSON of any other value. */
export const byteSize = (value: unknown): number =>
  Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value) ?? "", "utf8")

/** Fixed width, so that sorting as a string (as the official client and CLI do) sorts by time, then object. */
export const sequenceId = (step: Step): string =>
  `${String(Math.max(0, Math.floor(step.timeCreated))).padStart(13, "0")}${String(step.index).padStart(4, "0")}`

const stepSizes = (step: Step) => {
  if (step.inputSize < 0) step.inputSize = byteSize(step.input)
  if (step.outputSize < 0 && step.status === COMPLETED) step.outputSize = byteSize(step.output)
  return { input_size: step.inputSize, output_size: step.outputSize < 0 ? null : step.outputSize }
}

const stepCommon = (ids: IdScheme, record: RequestRecord, step: Step) => ({
  id: ids.format(record.seq, step.index),
  pipeline_object: step.object.name,
  status: statusNames[step.status],
  success: step.status === COMPLETED,
  error_message: step.errorMessage,
  sequence_id: sequenceId(step),
  time_created: timestamp(step.timeCreated),
  time_started: timestamp(step.timeCreated),
  time_completed: optionalTimestamp(step.timeCompleted),
  ...stepSizes(step)
})

interface SubRequests {
  deployment_requests: Array<DeploymentRequestWire>
  operator_requests: Array<OperatorRequestWire>
  pipeline_requests: Array<PipelineRequestWire>
}

const subRequests = (ids: IdScheme, record: RequestRecord): SubRequests => {
  const lists: SubRequests = { deployment_requests: [], operator_requests: [], pipeline_requests: [] }
  if (record.steps === null) return lists
  for (const step of record.steps) {
    const object = step.object
    const common = stepCommon(ids, record, step)
    if (object.kind === "deployment") {
      lists.deployment_requests.push({ ...common, deployment: object.target, version: object.version })
    } else if (object.kind === "operator") {
      lists.operator_requests.push({ ...common, operator: object.target })
    } else {
      lists.pipeline_requests.push({ ...common, pipeline: object.target, version: object.version })
    }
  }
  return lists
}

export const batchCreateItem = (ids: IdScheme, record: RequestRecord): BatchCreateWire => ({
  id: ids.format(record.seq, requestIndex),
  pipeline: record.version.pipeline.name,
  version: record.version.name,
  status: statusNames[record.status],
  time_created: timestamp(record.timeCreated)
})

export const listItem = (ids: IdScheme, record: RequestRecord): ListItemWire => ({
  id: ids.format(record.seq, requestIndex),
  pipeline: record.version.pipeline.name,
  version: record.version.name,
  status: statusNames[record.status],
  success: record.status === COMPLETED,
  time_created: timestamp(record.timeCreated),
  time_started: optionalTimestamp(record.timeStarted),
  time_completed: optionalTimestamp(record.timeCompleted),
  input_size: record.inputSize,
  output_size: record.outputSize < 0 ? null : record.outputSize
})

export const detail = (ids: IdScheme, record: RequestRecord, metadataOnly: boolean): DetailWire => ({
  ...listItem(ids, record),
  request_data: metadataOnly ? null : record.input,
  result: metadataOnly || record.status !== COMPLETED ? null : record.result,
  error_message: record.errorMessage,
  pipeline_timeout: record.timeout,
  deployment_timeout: null,
  ...subRequests(ids, record)
})

export const singleDetail = (
  ids: IdScheme,
  record: RequestRecord,
  metadataOnly: boolean,
  createdBy: string
): SingleDetailWire => ({ ...detail(ids, record, metadataOnly), origin: { created_by: createdBy } })

export const createResponse = (ids: IdScheme, record: RequestRecord): CreateResponseWire => ({
  id: ids.format(record.seq, requestIndex),
  pipeline: record.version.pipeline.name,
  version: record.version.name,
  status: statusNames[record.status],
  success: record.status === COMPLETED,
  error_message: record.errorMessage,
  ...subRequests(ids, record),
  result: record.status === COMPLETED ? record.result : null,
  pipeline_timeout: record.timeout,
  deployment_timeout: null
})

export const objectRequest = (
  ids: IdScheme,
  record: RequestRecord,
  step: Step,
  metadataOnly: boolean
): ObjectRequestWire => {
  const common = stepCommon(ids, record, step)
  return {
    id: common.id,
    pipeline_request_id: ids.format(record.seq, requestIndex),
    pipeline: record.version.pipeline.name,
    version: record.version.name,
    pipeline_object: step.object.name,
    object: step.object.name,
    operator: step.object.kind === "operator" ? step.object.target : null,
    status: common.status,
    success: common.success,
    time_created: common.time_created,
    time_started: common.time_started,
    time_completed: common.time_completed,
    request_data: metadataOnly ? null : step.input,
    result: metadataOnly || step.status !== COMPLETED ? null : step.output,
    error_message: common.error_message,
    input_size: common.input_size,
    output_size: common.output_size
  }
}
