/**
 * Path, query and body parameters of the pipeline-requests API, with the limits the service enforces.
 *
 * Each schema describes the wire in both directions: the client encodes with it (so an out-of-range value
 * fails before anything is sent) and the emulator decodes with it (so it accepts what the official client
 * really sends: `True`/`False` booleans, a repeated `timeout`, `[]` or `{}` or nothing for cancel-all).
 *
 * @since 1.0.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Fast from "./internal/fastDecode.js"

/**
 * The limits of the API.
 *
 * The maximum batch timeout is disputed between sources (172800 s in the reference copied into this repository,
 * 72 h in UbiOps' current documentation, 345600 s in the CLI 2.28 help). The current documentation is the
 * service's own statement of today's limit (the reference is an older copy of it, the CLI text is a client's): 72 h,
 * 259200 s. A larger value can still be sent with `clientSideValidation: false`, and the server judges it.
 *
 * @since 1.0.0
 * @category constants
 */
export const Limits = {
  maxItems: 250,
  directTimeout: { min: 10, max: 7200, default: 3600 },
  batchTimeout: { min: 10, max: 259200, default: 14400 },
  streamTimeout: { min: 10, max: 7200, default: 7200 },
  listLimit: { min: 1, max: 50, default: 50 },
  maxNameLength: 256,
  maxRequestIdLength: 128
} as const

const controlCharacters = /[\u0000-\u001f\u007f]/

/**
 * A project, pipeline or version name as a path segment. Any name is allowed except the empty one, one with
 * control characters, and `.` or `..`, which URL parsers resolve as relative segments whatever their encoding.
 * The client percent-encodes each segment, so a name such as `a/b` stays one segment.
 *
 * @since 1.0.0
 * @category schemas
 */
export const ResourceName = Schema.String.pipe(
  Schema.filter((name) => {
    if (name.length === 0) return "must not be empty"
    if (name.length > Limits.maxNameLength) return `must be at most ${Limits.maxNameLength} characters`
    if (controlCharacters.test(name)) return "must not contain control characters"
    if (name === "." || name === "..") return "must not be \".\" or \"..\""
    return true
  })
).annotations({ identifier: "ResourceName" })

/**
 * A request id: UbiOps uses UUIDs; letters, digits, `-` and `_` are accepted.
 *
 * @since 1.0.0
 * @category schemas
 */
const requestIdPattern = /^[A-Za-z0-9_-]+$/

const isRequestId = (id: unknown): boolean =>
  typeof id === "string" && id.length > 0 && id.length <= Limits.maxRequestIdLength && requestIdPattern.test(id)

export const RequestId = Schema.String.pipe(
  Schema.filter((id) =>
    isRequestId(id)
      ? true
      : `must be a request id (letters, digits, "-" or "_", 1 to ${Limits.maxRequestIdLength} characters)`
  )
).annotations({ identifier: "RequestId" })

/** A query value may be repeated (`?timeout=7200&timeout=7200`): the first one counts. */
const QueryValue = Schema.transform(
  Schema.Union(Schema.String, Schema.NonEmptyArray(Schema.String)),
  Schema.String,
  { strict: true, decode: (value) => typeof value === "string" ? value : value[0], encode: (value) => value }
)

/**
 * An integer query parameter.
 *
 * @since 1.0.0
 * @category schemas
 */
export const QueryInt = Schema.compose(QueryValue, Schema.NumberFromString).pipe(Schema.int())

/**
 * A boolean query parameter: `true`/`false`/`1`/`0` in any case (Python sends `True`/`False`).
 *
 * @since 1.0.0
 * @category schemas
 */
export const QueryBoolean = Schema.transformOrFail(QueryValue, Schema.Boolean, {
  strict: true,
  decode: (value, _, ast) => {
    switch (value.toLowerCase()) {
      case "true":
      case "1":
        return ParseResult.succeed(true)
      case "false":
      case "0":
        return ParseResult.succeed(false)
      default:
        return ParseResult.fail(new ParseResult.Type(ast, value, `must be true or false, got "${value}"`))
    }
  },
  encode: (value) => ParseResult.succeed(value ? "true" : "false")
})

const timeoutIn = (range: { readonly min: number; readonly max: number }) =>
  QueryInt.pipe(Schema.between(range.min, range.max, {
    message: (issue) =>
      `timeout must be an integer from ${range.min} to ${range.max} seconds, got ${String(issue.actual)}`
  }))

/**
 * @since 1.0.0
 * @category schemas
 */
export const DirectTimeout = timeoutIn(Limits.directTimeout)

/**
 * @since 1.0.0
 * @category schemas
 */
export const BatchTimeout = timeoutIn(Limits.batchTimeout)

/**
 * @since 1.0.0
 * @category schemas
 */
export const StreamTimeout = timeoutIn(Limits.streamTimeout)

/**
 * Request priority: 0 is high, 1 is standard.
 *
 * @since 1.0.0
 * @category schemas
 */
export const Priority = Schema.compose(QueryInt, Schema.Literal(0, 1), { strict: false })

/**
 * The statuses a list can filter on.
 *
 * @since 1.0.0
 * @category models
 */
export type ListStatus = "pending" | "processing" | "completed" | "failed" | "cancelled"

const listStatuses: ReadonlyArray<string> = ["pending", "processing", "completed", "failed", "cancelled"]

/**
 * The `status` filter of a list: one status, or a comma-separated combination of `completed`, `failed` and
 * `cancelled`; `pending` and `processing` cannot be combined with others.
 *
 * @since 1.0.0
 * @category schemas
 */
export const StatusFilter = Schema.compose(
  QueryValue,
  Schema.String.pipe(Schema.filter((filter) => {
    const statuses = filter.split(",").map((status) => status.trim())
    const unknown = statuses.filter((status) => !listStatuses.includes(status))
    if (unknown.length > 0) {
      return `status must be one of ${listStatuses.join(", ")} (or a comma-separated combination), got "${filter}"`
    }
    if (statuses.length > 1 && statuses.some((status) => status === "pending" || status === "processing")) {
      return `"pending" and "processing" cannot be combined with other statuses, got "${filter}"`
    }
    return true
  }))
)

/**
 * The `status` of a cancel-all: every `pending` or every `processing` request.
 *
 * @since 1.0.0
 * @category schemas
 */
export const CancelStatus = Schema.compose(QueryValue, Schema.Literal("pending", "processing"), { strict: false })

/**
 * An ISO 8601 date-time (the CLI sends `%Y-%m-%dT%H:%M:%SZ`).
 *
 * @since 1.0.0
 * @category schemas
 */
export const DateParam = Schema.compose(
  QueryValue,
  Schema.String.pipe(
    Schema.filter((value) => Number.isNaN(Date.parse(value)) ? `must be an ISO 8601 date-time, got "${value}"` : true)
  )
)

/**
 * @since 1.0.0
 * @category schemas
 */
export const QueryString = QueryValue

/**
 * The input of one request: an object (structured pipeline), a string (plain pipeline, sent as
 * `text/plain`), or an array (the CLI sends `[{...}]` for a structured direct request).
 *
 * @since 1.0.0
 * @category schemas
 */
export const RequestData = Schema.Union(
  Schema.Array(Schema.Unknown),
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  HttpApiSchema.Text()
)

/**
 * The body of a batch create: a list of inputs, at most 250. The API also accepts a single object or string
 * as a batch of one.
 *
 * @since 1.0.0
 * @category schemas
 */
export const BatchRequestData = Fast.withEncoder(
  Schema.Union(
    Schema.Array(Schema.Unknown).pipe(Schema.minItems(1), Schema.maxItems(Limits.maxItems)),
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    HttpApiSchema.Text()
  ),
  (data) => Array.isArray(data) && data.length >= 1 && data.length <= Limits.maxItems ? data : Fast.FAIL
)

/**
 * A list of at most 250 request ids (collect, batch delete).
 *
 * @since 1.0.0
 * @category schemas
 */
export const RequestIds = Fast.withEncoder(
  Schema.Array(RequestId).pipe(Schema.maxItems(Limits.maxItems)),
  (ids) => isRequestIdList(ids) ? ids : Fast.FAIL
)

/**
 * The body of a batch cancel: a list of at most 250 ids. A cancel-all by status sends `[]`, `{}` or nothing,
 * all read as no ids.
 *
 * @since 1.0.0
 * @category schemas
 */
const isRequestIdList = (ids: unknown): boolean => {
  if (!Array.isArray(ids) || ids.length > Limits.maxItems) return false
  for (let i = 0; i < ids.length; i++) if (!isRequestId(ids[i])) return false
  return true
}

export const CancelIds = Fast.withEncoder(
  Schema.transform(
    Schema.Union(
      RequestIds,
      Schema.Record({ key: Schema.String, value: Schema.Never }),
      Schema.Null
    ),
    Schema.typeSchema(RequestIds),
    { strict: false, decode: (body) => Array.isArray(body) ? body : [], encode: (ids) => ids }
  ),
  (ids) => isRequestIdList(ids) ? ids : Fast.FAIL
)

/**
 * Percent-encodes one path segment as the official client does (Python's `urllib.parse.quote(v, safe="")`):
 * everything but letters, digits and `_.-~`, so that `a/b` stays one segment.
 *
 * @since 1.0.0
 * @category utils
 */
export const encodePathSegment = (segment: string): string =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * A validation failure as one line: `path.in.value: what is wrong; ...`.
 *
 * @since 1.0.0
 * @category utils
 */
export const formatIssue = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message)
    .join("; ")
