/**
 * The endpoints of the core `PipelineRequestsApi`, as the in-memory service needs them: the path, query and
 * body schemas (to refuse exactly what the real client refuses before sending), the method and path template
 * (to name the HTTP equivalent in errors) and the success status.
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { encodePathSegment, formatIssue } from "@ubiops-effect/core/ApiParams"
import type { OperationId } from "@ubiops-effect/core/PipelineRequestsApi"
import { isCreate, PipelineRequestsApi } from "@ubiops-effect/core/PipelineRequestsApi"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** The API root the emulator serves, as the official client's host ends. */
export const apiRoot = "/v2.1"

export interface RequestParts {
  readonly path: Record<string, string>
  readonly urlParams?: Record<string, unknown> | undefined
  readonly payload?: unknown
}

export interface Checked {
  readonly path: Record<string, string>
  readonly urlParams: Record<string, any>
  readonly payload: any
  /** The HTTP path the call would use (under `/v2.1`, each segment percent-encoded). */
  readonly httpPath: string
}

export interface Endpoint {
  readonly operation: OperationId
  readonly method: string
  readonly template: string
  readonly successStatus: number
  readonly isCreate: boolean
  /** Validates a request the way the client does before sending it, and decodes it the way the server does. */
  readonly check: (
    request: RequestParts
  ) => Either.Either<Checked, { readonly reason: string; readonly httpPath: string }>
}

const withoutUndefined = (record: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))

const roundTrip = (schema: Schema.Schema.Any) => {
  const encode = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
  const decode = Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
  return (value: unknown): Either.Either<any, ParseResult.ParseError> => Either.flatMap(encode(value), decode)
}

const compile = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps): Endpoint => {
  const template = `${apiRoot}${endpoint.path}`
  const parts = template.split("/")
  const makePath = (params: Record<string, string>) =>
    parts.map((part) => part.startsWith(":") ? encodePathSegment(params[part.slice(1)] ?? "") : part).join("/")
  const path = Option.map(endpoint.pathSchema, roundTrip)
  const urlParams = Option.map(endpoint.urlParamsSchema, roundTrip)
  const payload = Option.map(endpoint.payloadSchema, roundTrip)
  return {
    operation: endpoint.name as OperationId,
    method: endpoint.method,
    template,
    successStatus: HttpApiSchema.getStatusSuccessAST(endpoint.successSchema.ast),
    isCreate: isCreate(endpoint.name),
    check: (request) => {
      const httpPath = makePath(request.path)
      const fail = (error: ParseResult.ParseError) => Either.left({ reason: formatIssue(error), httpPath })
      let checkedPath = request.path
      if (Option.isSome(path)) {
        const result = path.value(request.path)
        if (Either.isLeft(result)) return fail(result.left)
        checkedPath = result.right
      }
      let checkedParams: Record<string, any> = {}
      if (Option.isSome(urlParams)) {
        const result = urlParams.value(withoutUndefined(request.urlParams ?? {}))
        if (Either.isLeft(result)) return fail(result.left)
        checkedParams = result.right
      }
      let checkedPayload: unknown = undefined
      if (Option.isSome(payload)) {
        if (typeof request.payload !== "string") {
          let json: string | undefined
          try {
            json = JSON.stringify(request.payload)
          } catch (error) {
            return Either.left({
              reason: `the data cannot be serialised as JSON: ${error instanceof Error ? error.message : error}`,
              httpPath
            })
          }
          if (json === undefined) return Either.left({ reason: "the data cannot be serialised as JSON", httpPath })
        }
        const result = payload.value(request.payload)
        if (Either.isLeft(result)) return fail(result.left)
        checkedPayload = result.right
      }
      return Either.right({ path: checkedPath, urlParams: checkedParams, payload: checkedPayload, httpPath })
    }
  }
}

const endpoints = new Map<OperationId, Endpoint>()
for (const group of Object.values(PipelineRequestsApi.groups)) {
  for (const endpoint of Object.values(group.endpoints)) {
    const compiled = compile(endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps)
    endpoints.set(compiled.operation, compiled)
  }
}

export const endpoint = (operation: OperationId): Endpoint => endpoints.get(operation)!
