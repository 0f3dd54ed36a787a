/**
 * The wire contract of the UbiOps pipeline-requests API as one `HttpApi`: the 19 endpoints of the
 * reference, the 6 input/output downloads and the 2 `requests/stream` endpoints of the current official
 * client. Endpoint names are the official operation ids in camelCase. The client and the emulator are both
 * derived from this definition.
 *
 * Paths are relative to the API root (`https://api.ubiops.com/v2.1`).
 *
 * @since 1.0.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Schema from "effect/Schema"
import {
  BatchRequestData,
  BatchTimeout,
  CancelIds,
  CancelStatus,
  DateParam,
  DirectTimeout,
  Limits,
  Priority,
  QueryBoolean,
  QueryInt,
  QueryString,
  RequestData,
  RequestId,
  RequestIds,
  ResourceName,
  StatusFilter,
  StreamTimeout
} from "./ApiParams.js"
import {
  OperatorRequestDetailBody,
  PipelineRequestBatchCreateResponse,
  PipelineRequestCreateResponse,
  PipelineRequestDetail,
  PipelineRequestList,
  PipelineRequestSingleDetail,
  PipelineRequestUpdate
} from "./Models.js"

const pipelinePath = Schema.Struct({ project_name: ResourceName, pipeline_name: ResourceName })
const versionPath = Schema.Struct({ ...pipelinePath.fields, version: ResourceName })
const requestPath = Schema.Struct({ ...pipelinePath.fields, request_id: RequestId })
const versionRequestPath = Schema.Struct({ ...versionPath.fields, request_id: RequestId })

const pipeline = "/projects/:project_name/pipelines/:pipeline_name" as const
const version = `${pipeline}/versions/:version` as const

const createParams = Schema.Struct({
  timeout: Schema.optional(DirectTimeout),
  priority: Schema.optional(Priority),
  pipeline_timeout: Schema.optional(DirectTimeout)
})
const batchCreateParams = Schema.Struct({
  timeout: Schema.optional(BatchTimeout),
  priority: Schema.optional(Priority)
})
const streamParams = Schema.Struct({ timeout: Schema.optional(StreamTimeout) })
const getParams = Schema.Struct({ metadata_only: Schema.optional(QueryBoolean) })
const listParams = Schema.Struct({
  status: Schema.optional(StatusFilter),
  limit: Schema.optional(QueryInt.pipe(Schema.between(Limits.listLimit.min, Limits.listLimit.max, {
    message: (issue) =>
      `limit must be an integer from ${Limits.listLimit.min} to ${Limits.listLimit.max}, got ${String(issue.actual)}`
  }))),
  offset: Schema.optional(QueryInt.pipe(Schema.nonNegative({
    message: (issue) => `offset must be a non-negative integer, got ${String(issue.actual)}`
  }))),
  start_date: Schema.optional(DateParam),
  end_date: Schema.optional(DateParam),
  search_id: Schema.optional(QueryString)
})
const cancelParams = Schema.Struct({ status: Schema.optional(CancelStatus) })
const objectRequestParams = Schema.Struct({
  metadata_only: Schema.optional(QueryBoolean),
  pipeline_request_id: Schema.optional(QueryString),
  pipeline_object_id: Schema.optional(QueryString)
})

/** An untyped JSON body (`object` in the official client). */
const AnyJson = Schema.Unknown

/**
 * The raw bytes of a downloaded input or output; the response's content type says JSON or text.
 *
 * @since 1.0.0
 * @category schemas
 */
export const FileBody = HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" })

/**
 * The body of a `requests/stream` response: `data:` lines, then the final response as one bare JSON line.
 * Server-sent-event parsers drop that line, so the client reads it by hand.
 *
 * @since 1.0.0
 * @category schemas
 */
export const EventStreamBody = HttpApiSchema.Text({ contentType: "text/event-stream" })

const errorBody = { error: Schema.String }

/**
 * An error body as UbiOps sends it, `{"error": "..."}`, with status 400.
 *
 * @since 1.0.0
 * @category errors
 */
export class BadRequestBody
  extends Schema.Class<BadRequestBody>("BadRequestBody")(errorBody, HttpApiSchema.annotations({ status: 400 }))
{}

/**
 * @since 1.0.0
 * @category errors
 */
export class UnauthorizedBody
  extends Schema.Class<UnauthorizedBody>("UnauthorizedBody")(errorBody, HttpApiSchema.annotations({ status: 401 }))
{}

/**
 * @since 1.0.0
 * @category errors
 */
export class ForbiddenBody
  extends Schema.Class<ForbiddenBody>("ForbiddenBody")(errorBody, HttpApiSchema.annotations({ status: 403 }))
{}

/**
 * @since 1.0.0
 * @category errors
 */
export class NotFoundBody
  extends Schema.Class<NotFoundBody>("NotFoundBody")(errorBody, HttpApiSchema.annotations({ status: 404 }))
{}

/**
 * @since 1.0.0
 * @category errors
 */
export class PayloadTooLargeBody extends Schema.Class<PayloadTooLargeBody>("PayloadTooLargeBody")(
  errorBody,
  HttpApiSchema.annotations({ status: 413 })
) {}

/**
 * @since 1.0.0
 * @category errors
 */
export class TooManyRequestsBody extends Schema.Class<TooManyRequestsBody>("TooManyRequestsBody")(
  errorBody,
  HttpApiSchema.annotations({ status: 429 })
) {}

/**
 * @since 1.0.0
 * @category errors
 */
export class InternalServerErrorBody extends Schema.Class<InternalServerErrorBody>("InternalServerErrorBody")(
  errorBody,
  HttpApiSchema.annotations({ status: 500 })
) {}

/**
 * @since 1.0.0
 * @category errors
 */
export class ServiceUnavailableBody extends Schema.Class<ServiceUnavailableBody>("ServiceUnavailableBody")(
  errorBody,
  HttpApiSchema.annotations({ status: 503 })
) {}

/**
 * The endpoints of the pipeline-requests API.
 *
 * @since 1.0.0
 * @category api
 */
export class PipelineRequestsGroup extends HttpApiGroup.make("pipelineRequests")
  .add(
    HttpApiEndpoint.post("batchPipelineRequestsCreate", `${pipeline}/requests/batch`)
      .setPath(pipelinePath)
      .setUrlParams(batchCreateParams)
      .setPayload(BatchRequestData)
      .addSuccess(Schema.Array(PipelineRequestBatchCreateResponse), { status: 201 })
  )
  .add(
    HttpApiEndpoint.post("pipelineRequestsBatchCancel", `${pipeline}/requests/cancel`)
      .setPath(pipelinePath)
      .setUrlParams(cancelParams)
      .setPayload(CancelIds)
      .addSuccess(AnyJson)
  )
  .add(
    HttpApiEndpoint.post("pipelineRequestsBatchDelete", `${pipeline}/requests/delete`)
      .setPath(pipelinePath)
      .setPayload(RequestIds)
      .addSuccess(AnyJson)
  )
  .add(
    HttpApiEndpoint.post("pipelineRequestsBatchGet", `${pipeline}/requests/collect`)
      .setPath(pipelinePath)
      .setPayload(RequestIds)
      .addSuccess(Schema.Array(PipelineRequestDetail))
  )
  .add(
    HttpApiEndpoint.post("pipelineRequestsCreate", `${pipeline}/requests`)
      .setPath(pipelinePath)
      .setUrlParams(createParams)
      .setPayload(RequestData)
      .addSuccess(PipelineRequestCreateResponse, { status: 201 })
  )
  .add(
    HttpApiEndpoint.del("pipelineRequestsDelete", `${pipeline}/requests/:request_id`)
      .setPath(requestPath)
      .addSuccess(HttpApiSchema.NoContent)
  )
  .add(
    HttpApiEndpoint.get("pipelineRequestsGet", `${pipeline}/requests/:request_id`)
      .setPath(requestPath)
      .setUrlParams(getParams)
      .addSuccess(PipelineRequestSingleDetail)
  )
  .add(
    HttpApiEndpoint.get("pipelineRequestsList", `${pipeline}/requests`)
      .setPath(pipelinePath)
      .setUrlParams(listParams)
      .addSuccess(Schema.Array(PipelineRequestList))
  )
  .add(
    HttpApiEndpoint.patch("pipelineRequestsUpdate", `${pipeline}/requests/:request_id`)
      .setPath(requestPath)
      .setPayload(PipelineRequestUpdate)
      .addSuccess(AnyJson)
  )
  .add(
    HttpApiEndpoint.post("batchPipelineVersionRequestsCreate", `${version}/requests/batch`)
      .setPath(versionPath)
      .setUrlParams(batchCreateParams)
      .setPayload(BatchRequestData)
      .addSuccess(Schema.Array(PipelineRequestBatchCreateResponse), { status: 201 })
  )
  .add(
    HttpApiEndpoint.post("pipelineVersionRequestsBatchCancel", `${version}/requests/cancel`)
      .setPath(versionPath)
      .setUrlParams(cancelParams)
      .setPayload(CancelIds)
      .addSuccess(AnyJson)
  )
  .add(
    HttpApiEndpoint.post("pipelineVersionRequestsBatchDelete", `${version}/requests/delete`)
      .setPath(versionPath)
      .setPayload(RequestIds)
      .addSuccess(AnyJson)
  )
  .add(
    HttpApiEndpoint.post("pipelineVersionRequestsBatchGet", `${version}/requests/collect`)
      .setPath(versionPath)
      .setPayload(RequestIds)
      .addSuccess(Schema.Array(PipelineRequestDetail))
  )
  .add(
    HttpApiEndpoint.post("pipelineVersionRequestsCreate", `${version}/requests`)
      .setPath(versionPath)
      .setUrlParams(createParams)
      .setPayload(RequestData)
      .addSuccess(PipelineRequestCreateResponse, { status: 201 })
  )
  .add(
    HttpApiEndpoint.del("pipelineVersionRequestsDelete", `${version}/requests/:request_id`)
      .setPath(versionRequestPath)
      .addSuccess(HttpApiSchema.NoContent)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionRequestsGet", `${version}/requests/:request_id`)
      .setPath(versionRequestPath)
      .setUrlParams(getParams)
      .addSuccess(PipelineRequestSingleDetail)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionRequestsList", `${version}/requests`)
      .setPath(versionPath)
      .setUrlParams(listParams)
      .addSuccess(Schema.Array(PipelineRequestList))
  )
  .add(
    HttpApiEndpoint.patch("pipelineVersionRequestsUpdate", `${version}/requests/:request_id`)
      .setPath(versionRequestPath)
      .setPayload(PipelineRequestUpdate)
      .addSuccess(AnyJson)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionObjectRequestsGet", `${version}/object-requests/:request_id`)
      .setPath(versionRequestPath)
      .setUrlParams(objectRequestParams)
      .addSuccess(OperatorRequestDetailBody)
  )
  .add(
    HttpApiEndpoint.get("pipelineRequestsInputGet", `${pipeline}/requests/:request_id/input`)
      .setPath(requestPath)
      .addSuccess(FileBody)
  )
  .add(
    HttpApiEndpoint.get("pipelineRequestsOutputGet", `${pipeline}/requests/:request_id/output`)
      .setPath(requestPath)
      .addSuccess(FileBody)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionRequestsInputGet", `${version}/requests/:request_id/input`)
      .setPath(versionRequestPath)
      .addSuccess(FileBody)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionRequestsOutputGet", `${version}/requests/:request_id/output`)
      .setPath(versionRequestPath)
      .addSuccess(FileBody)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionObjectRequestsInputGet", `${version}/object-requests/:request_id/input`)
      .setPath(versionRequestPath)
      .addSuccess(FileBody)
  )
  .add(
    HttpApiEndpoint.get("pipelineVersionObjectRequestsOutputGet", `${version}/object-requests/:request_id/output`)
      .setPath(versionRequestPath)
      .addSuccess(FileBody)
  )
  .add(
    HttpApiEndpoint.post("pipelineRequestsStream", `${pipeline}/requests/stream`)
      .setPath(pipelinePath)
      .setUrlParams(streamParams)
      .setPayload(RequestData)
      .addSuccess(EventStreamBody)
  )
  .add(
    HttpApiEndpoint.post("pipelineVersionRequestsStream", `${version}/requests/stream`)
      .setPath(versionPath)
      .setUrlParams(streamParams)
      .setPayload(RequestData)
      .addSuccess(EventStreamBody)
  )
  .addError(BadRequestBody)
  .addError(UnauthorizedBody)
  .addError(ForbiddenBody)
  .addError(NotFoundBody)
  .addError(PayloadTooLargeBody)
  .addError(TooManyRequestsBody)
  .addError(InternalServerErrorBody)
  .addError(ServiceUnavailableBody)
{}

/**
 * The UbiOps pipeline-requests API.
 *
 * @since 1.0.0
 * @category api
 */
export class PipelineRequestsApi extends HttpApi.make("ubiops").add(PipelineRequestsGroup) {}

/**
 * The names of the endpoints (the official operation ids in camelCase).
 *
 * @since 1.0.0
 * @category models
 */
export type OperationId = HttpApiEndpoint.HttpApiEndpoint.Name<
  HttpApiGroup.HttpApiGroup.Endpoints<typeof PipelineRequestsGroup>
>

const createOperations: ReadonlySet<OperationId> = new Set<OperationId>([
  "pipelineRequestsCreate",
  "pipelineVersionRequestsCreate",
  "batchPipelineRequestsCreate",
  "batchPipelineVersionRequestsCreate",
  "pipelineRequestsStream",
  "pipelineVersionRequestsStream"
])

/**
 * Whether an operation creates requests: repeating one that the server accepted runs the pipeline again, so
 * it is not idempotent.
 *
 * @since 1.0.0
 * @category utils
 */
export const isCreate = (operation: string): boolean => createOperations.has(operation as OperationId)
