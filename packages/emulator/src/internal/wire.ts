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
import { COMPLETED, statusNames, stepsOf } from "./records.js"

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

const recentTimestamps = new Map<number, string>()

/** ISO 8601 with an explicit offset, as UbiOps writes it: `2020-03-28T20:00:26.613+00:00`. Requests of one
 * batch share their timestamps, so recent ones are remembered. */
export const timestamp = (millis: number): string => {
  let text = recentTimestamps.get(millis)
  if (text === undefined) {
    if (recentTimestamps.size >= 4096) recentTimestamps.clear()
    text = `${new Date(millis).toISOString().slice(0, -1)}+00:00`
    recentTimestamps.set(millis, text)
  }
  return text
}

const optionalTimestamp = (millis: number): string | null => millis < 0 ? null : timestamp(millis)

/** Byte length of a string (UTF-8), or of the compact JSON of any other value. */
export const byteSize = (value: unknown): number =>
  Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value) ?? "", "utf8")

/** Fixed width, so that sorting as a string (as the official client and CLI do) sorts by time, then object. */
export const sequenceId = (step: Step): string =>
  `${String(Math.max(0, Math.floor(step.timeCreated))).padStart(13, "0")}${String(step.index).padStart(4, "0")}`

/** Sizes are computed when first asked for; an object that returned its input has the input's size. */
const inputSizeOf = (record: RequestRecord, steps: ReadonlyArray<Step>, step: Step): number => {
  if (step.inputSize < 0) {
    const previous = step.index > 0 ? steps[step.index - 1] : undefined
    step.inputSize = step.input === record.input
      ? record.inputSize
      : previous !== undefined && previous.output === step.input
      ? outputSizeOf(record, steps, previous)
      : byteSize(step.input)
  }
  return step.inputSize
}

const outputSizeOf = (record: RequestRecord, steps: ReadonlyArray<Step>, step: Step): number => {
  if (step.outputSize < 0) {
    step.outputSize = step.output === step.input ? inputSizeOf(record, steps, step) : byteSize(step.output)
  }
  return step.outputSize
}

interface StepCommon {
  readonly id: string
  readonly pipeline_object: string
  readonly status: string
  readonly success: boolean
  readonly error_message: string | null
  readonly sequence_id: string
  readonly time_created: string
  readonly time_started: string
  readonly time_completed: string | null
  readonly input_size: number
  readonly output_size: number | null
}

const stepCommon = (ids: IdScheme, record: RequestRecord, steps: ReadonlyArray<Step>, step: Step): StepCommon => {
  const created = timestamp(step.timeCreated)
  return {
    id: ids.format(record.seq, step.index),
    pipeline_object: step.object.name,
    status: statusNames[step.status],
    success: step.status === COMPLETED,
    error_message: step.errorMessage,
    sequence_id: sequenceId(step),
    time_created: created,
    time_started: created,
    time_completed: optionalTimestamp(step.timeCompleted),
    input_size: inputSizeOf(record, steps, step),
    output_size: step.status === COMPLETED ? outputSizeOf(record, steps, step) : null
  }
}

interface SubRequests {
  deployment_requests: Array<DeploymentRequestWire>
  operator_requests: Array<OperatorRequestWire>
  pipeline_requests: Array<PipelineRequestWire>
}

const subRequests = (ids: IdScheme, record: RequestRecord): SubRequests => {
  const lists: SubRequests = { deployment_requests: [], operator_requests: [], pipeline_requests: [] }
  const steps = stepsOf(record)
  if (steps === null) return lists
  for (const step of steps) {
    const object = step.object
    const common = stepCommon(ids, record, steps, step) as unknown as Record<string, unknown>
    if (object.kind === "deployment") {
      common.deployment = object.target
      common.version = object.version
      lists.deployment_requests.push(common as unknown as DeploymentRequestWire)
    } else if (object.kind === "operator") {
      common.operator = object.target
      lists.operator_requests.push(common as unknown as OperatorRequestWire)
    } else {
      common.pipeline = object.target
      common.version = object.version
      lists.pipeline_requests.push(common as unknown as PipelineRequestWire)
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

/** The status reads show: a request that finished shows as it was until it is published (see `RequestStore`). */
export const shownStatus = (record: RequestRecord): number =>
  record.publishAt >= 0 ? record.listedStatus : record.status

export const listItem = (ids: IdScheme, record: RequestRecord): ListItemWire => {
  const published = record.publishAt < 0
  const status = shownStatus(record)
  return {
    id: ids.format(record.seq, requestIndex),
    pipeline: record.version.pipeline.name,
    version: record.version.name,
    status: statusNames[status],
    success: status === COMPLETED,
    time_created: timestamp(record.timeCreated),
    time_started: optionalTimestamp(record.timeStarted),
    time_completed: published ? optionalTimestamp(record.timeCompleted) : null,
    input_size: record.inputSize,
    output_size: !published || record.outputSize < 0 ? null : record.outputSize
  }
}

export const detail = (ids: IdScheme, record: RequestRecord, metadataOnly: boolean): DetailWire => {
  const lists = subRequests(ids, record)
  const withData = !metadataOnly && record.version.keepsData
  const published = record.publishAt < 0
  return {
    ...listItem(ids, record),
    request_data: withData ? record.input : null,
    result: withData && shownStatus(record) === COMPLETED ? record.result : null,
    error_message: published ? record.errorMessage : null,
    pipeline_timeout: record.timeout,
    deployment_timeout: null,
    deployment_requests: lists.deployment_requests,
    operator_requests: lists.operator_requests,
    pipeline_requests: lists.pipeline_requests
  }
}

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
  steps: ReadonlyArray<Step>,
  step: Step,
  metadataOnly: boolean
): ObjectRequestWire => {
  const common = stepCommon(ids, record, steps, step)
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
    request_data: metadataOnly || !record.version.keepsData ? null : step.input,
    result: metadataOnly || !record.version.keepsData || step.status !== COMPLETED ? null : step.output,
    error_message: common.error_message,
    input_size: common.input_size,
    output_size: common.output_size
  }
}
