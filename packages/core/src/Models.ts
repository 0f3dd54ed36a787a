/**
 * The bodies the UbiOps pipeline-requests API sends and receives, as Schema classes named after the models
 * of the official Python client.
 *
 * Decoding is strict where the library depends on a field (`id`, `status`) and tolerant elsewhere: unknown
 * fields are dropped, any status string is accepted, timestamps are kept as the strings the server sent
 * (the reference itself contains `2020-063-28T...`), and nullable fields may be absent or `null`.
 *
 * @since 1.0.0
 */
import * as Schema from "effect/Schema"
import * as Fast from "./internal/fastDecode.js"

/**
 * A request status. The known values are listed; any other string the server sends is kept as is.
 *
 * @since 1.0.0
 * @category models
 */
export type RequestStatus =
  | "pending"
  | "processing"
  | "completed"
  | "failed"
  | "cancelled"
  | "cancelled_pending"
  | (string & {})

/**
 * @since 1.0.0
 * @category schemas
 */
export const RequestStatus: Schema.Schema<RequestStatus, string> = Fast.withReader(
  Schema.String.annotations({
    identifier: "RequestStatus",
    description: "pending, processing, completed, failed, cancelled (or any other status the server reports)"
  }) as Schema.Schema<RequestStatus, string>,
  Fast.string
)

/**
 * The statuses after which a request never changes again.
 *
 * @since 1.0.0
 * @category models
 */
export type TerminalStatus = "completed" | "failed" | "cancelled"

/**
 * @since 1.0.0
 * @category predicates
 */
export const isTerminalStatus = (status: RequestStatus): status is TerminalStatus =>
  status === "completed" || status === "failed" || status === "cancelled"

/**
 * A timestamp exactly as the server sent it (ISO 8601). It is not parsed, so that a malformed date cannot
 * turn a successful call into a failure; `parseTimestamp` parses it when it is well formed.
 *
 * @since 1.0.0
 * @category schemas
 */
export const Timestamp = Fast.withReader(Schema.String.annotations({ identifier: "Timestamp" }), Fast.string)

/**
 * @since 1.0.0
 * @category utils
 */
export const parseTimestamp = (timestamp: string | null | undefined): Date | undefined => {
  if (timestamp === null || timestamp === undefined) return undefined
  const date = new Date(timestamp)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** A field that may be absent or `null`; absent reads as `null`. */
const nullable = <S extends Schema.Schema.Any>(schema: S) => {
  return Fast.withReaderOf(Schema.optionalWith(Schema.NullOr(schema), { default: () => null }), schema, Fast.nullable)
}

/** A list that may be absent or `null`; both read as empty. */
const nullableList = <S extends Schema.Schema.Any>(schema: S) => {
  return Fast.withReaderOf(
    Schema.optionalWith(Schema.Array(schema), { nullable: true, default: () => [] }),
    schema,
    Fast.list
  )
}

/** Sizes and timeouts are integers; a float is truncated as the official client does. */
const WholeNumber = Fast.withReader(
  Schema.transform(Schema.Number, Schema.Number, { strict: true, decode: Math.trunc, encode: (n) => n }),
  Fast.truncatedNumber
)

/** Sorted as a string by the official client and CLI, so the emulator sends fixed-width digit strings. */
const SequenceId = Fast.withReader(
  Schema.Union(
    Schema.String,
    Schema.transform(Schema.Number, Schema.String, { strict: true, decode: String, encode: Number })
  ),
  Fast.stringOrNumber
)

/**
 * Any JSON value: an object for structured pipelines, a string for plain ones.
 *
 * @since 1.0.0
 * @category schemas
 */
export const JsonValue = Fast.withReader(Schema.Unknown.annotations({ identifier: "JsonValue" }), Fast.unknown)

const subRequestFields = {
  id: Schema.String,
  pipeline_object: nullable(Schema.String),
  status: RequestStatus,
  success: nullable(Schema.Boolean),
  error_message: nullable(Schema.String),
  sequence_id: SequenceId,
  time_created: nullable(Timestamp),
  time_started: nullable(Timestamp),
  time_completed: nullable(Timestamp),
  input_size: nullable(WholeNumber),
  output_size: nullable(WholeNumber)
}

/**
 * A request made to a deployment object inside a pipeline request.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestDeploymentRequest extends Schema.Class<PipelineRequestDeploymentRequest>(
  "PipelineRequestDeploymentRequest"
)({
  ...subRequestFields,
  deployment: nullable(Schema.String),
  version: nullable(Schema.String)
}) {}

/**
 * A request made to an operator object inside a pipeline request.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestOperatorRequest extends Schema.Class<PipelineRequestOperatorRequest>(
  "PipelineRequestOperatorRequest"
)({
  ...subRequestFields,
  operator: nullable(Schema.String)
}) {}

/**
 * A request made to a sub-pipeline object inside a pipeline request.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestPipelineRequest extends Schema.Class<PipelineRequestPipelineRequest>(
  "PipelineRequestPipelineRequest"
)({
  ...subRequestFields,
  pipeline: nullable(Schema.String),
  version: nullable(Schema.String)
}) {}

const subRequestLists = {
  deployment_requests: nullableList(PipelineRequestDeploymentRequest),
  operator_requests: nullableList(PipelineRequestOperatorRequest),
  pipeline_requests: nullableList(PipelineRequestPipelineRequest)
}

/**
 * The response of a direct (synchronous) request: it has finished, `completed` or `failed`.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestCreateResponse extends Schema.Class<PipelineRequestCreateResponse>(
  "PipelineRequestCreateResponse"
)({
  id: Schema.String,
  pipeline: nullable(Schema.String),
  version: nullable(Schema.String),
  status: RequestStatus,
  success: nullable(Schema.Boolean),
  error_message: nullable(Schema.String),
  ...subRequestLists,
  result: nullable(JsonValue),
  pipeline_timeout: nullable(WholeNumber),
  deployment_timeout: nullable(WholeNumber)
}) {}

/**
 * One request created by a batch create: always `pending` at creation.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestBatchCreateResponse extends Schema.Class<PipelineRequestBatchCreateResponse>(
  "PipelineRequestBatchCreateResponse"
)({
  id: Schema.String,
  pipeline: nullable(Schema.String),
  version: nullable(Schema.String),
  status: RequestStatus,
  time_created: Timestamp,
  /** The input, when the server sends it back (the documented reply has no such field): `null` when it does not. */
  request_data: nullable(JsonValue)
}) {}

const listFields = {
  id: Schema.String,
  pipeline: nullable(Schema.String),
  version: nullable(Schema.String),
  status: RequestStatus,
  success: nullable(Schema.Boolean),
  time_created: Timestamp,
  time_started: nullable(Timestamp),
  time_completed: nullable(Timestamp),
  input_size: nullable(WholeNumber),
  output_size: nullable(WholeNumber)
}

/**
 * One item of a list of requests: the metadata, without input, output or sub-requests.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestList extends Schema.Class<PipelineRequestList>("PipelineRequestList")(listFields) {}

/** Where a request came from: `{"created_by": "<email>"}`. */
const Origin = Fast.withReader(
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  (input) => typeof input === "object" && input !== null && !Array.isArray(input) ? input : Fast.FAIL
)

const detailFields = {
  ...listFields,
  request_data: nullable(JsonValue),
  result: nullable(JsonValue),
  error_message: nullable(Schema.String),
  pipeline_timeout: nullable(WholeNumber),
  deployment_timeout: nullable(WholeNumber),
  ...subRequestLists
}

/**
 * A request as returned by collect (`pipelineRequestsBatchGet`).
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestDetail extends Schema.Class<PipelineRequestDetail>("PipelineRequestDetail")(
  detailFields
) {}

/**
 * A request as returned by get: the detail plus where it came from.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestSingleDetail extends Schema.Class<PipelineRequestSingleDetail>(
  "PipelineRequestSingleDetail"
)({
  ...detailFields,
  origin: nullable(Origin)
}) {}

const operatorRequestFields = {
  id: Schema.String,
  pipeline_request_id: Schema.String,
  pipeline: nullable(Schema.String),
  version: nullable(Schema.String),
  pipeline_object: nullable(Schema.String),
  operator: nullable(Schema.String),
  status: RequestStatus,
  success: nullable(Schema.Boolean),
  time_created: nullable(Timestamp),
  time_started: nullable(Timestamp),
  time_completed: nullable(Timestamp),
  request_data: nullable(JsonValue),
  result: nullable(JsonValue),
  error_message: nullable(Schema.String),
  input_size: nullable(WholeNumber),
  output_size: nullable(WholeNumber)
}

/**
 * A request of an operator object (`pipelineVersionObjectRequestsGet`).
 *
 * @since 1.0.0
 * @category models
 */
export class OperatorRequestDetail extends Schema.Class<OperatorRequestDetail>("OperatorRequestDetail")(
  operatorRequestFields
) {}

const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * `OperatorRequestDetail` on the wire. The official client reads `pipeline_object`; the reference's example
 * sends `object`. Both are read, and both are written, so that either kind of reader finds the name.
 *
 * @since 1.0.0
 * @category schemas
 */
export const OperatorRequestDetailBody = Schema.compose(
  Schema.transform(JsonObject, JsonObject, {
    strict: true,
    decode: (body) =>
      body.pipeline_object === undefined || body.pipeline_object === null
        ? { ...body, pipeline_object: body.object ?? null }
        : body,
    encode: (body) => ({ ...body, object: body.pipeline_object ?? null })
  }),
  OperatorRequestDetail,
  { strict: false }
)

/**
 * The body of an update: the only update the API accepts is a cancel.
 *
 * @since 1.0.0
 * @category models
 */
export class PipelineRequestUpdate extends Schema.Class<PipelineRequestUpdate>("PipelineRequestUpdate")({
  status: Schema.Literal("cancelled")
}) {}

/**
 * The body of every error response: `{"error": "..."}`; some services send `error_message` (or, behind some
 * proxies, `detail`) instead. The client reads the server's message through it.
 *
 * @since 1.0.0
 * @category models
 */
export const ErrorBody = Schema.Struct({
  error: Schema.optional(Schema.NullOr(Schema.String)),
  error_message: Schema.optional(Schema.NullOr(Schema.String)),
  detail: Schema.optional(Schema.NullOr(Schema.String))
})
