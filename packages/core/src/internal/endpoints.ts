/**
 * Derives, once per endpoint of `PipelineRequestsApi`, how to encode a request (path, query, body) and how
 * to decode a 2xx response. The codecs come from the HttpApi's own schemas and encoding annotations, so the
 * client speaks exactly the contract the emulator serves.
 *
 * We do not use `HttpApiClient` because the UbiOps wire needs what it does not do: every 2xx counts as
 * success (HttpApiClient matches declared statuses only), each path segment is percent-encoded (HttpApiClient
 * inserts raw values, so `a/b` would change the path), and failures must become our typed errors with the
 * operation, method and path.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { encodePathSegment, formatIssue } from "../ApiParams.js"
import { ErrorBody } from "../Models.js"
import type { OperationId, PipelineRequestsGroup } from "../PipelineRequestsApi.js"
import { isCreate, PipelineRequestsApi } from "../PipelineRequestsApi.js"
import { DecodeError } from "../UbiOpsError.js"
import * as Fast from "./fastDecode.js"
import { registerModelReaders } from "./modelReaders.js"

type Endpoints = HttpApiGroup.HttpApiGroup.Endpoints<typeof PipelineRequestsGroup>

/** @internal */
export type EndpointOf<Op extends OperationId> = HttpApiEndpoint.HttpApiEndpoint.WithName<Endpoints, Op>

/** @internal */
export type SuccessOf<Op extends OperationId> = HttpApiEndpoint.HttpApiEndpoint.Success<EndpointOf<Op>>

/** Only endpoints with a typed JSON body can fail to decode. */
export type DecodeErrorOf<Op extends OperationId, E> = unknown extends SuccessOf<Op> ? never
  : [SuccessOf<Op>] extends [void] ? never
  : [SuccessOf<Op>] extends [Uint8Array] ? never
  : E

/** The request of one endpoint, in decoded (user-facing) form. */
export interface RequestOf<Op extends OperationId> {
  readonly path: HttpApiEndpoint.HttpApiEndpoint.PathParsed<EndpointOf<Op>>
  readonly urlParams?: HttpApiEndpoint.HttpApiEndpoint.UrlParams<EndpointOf<Op>> | undefined
  readonly payload?: HttpApiEndpoint.HttpApiEndpoint.Payload<EndpointOf<Op>> | undefined
}

/** A request ready to send: everything validated and encoded. */
export interface EncodedRequest {
  readonly method: HttpMethod.HttpMethod
  /** The path relative to the API root, each segment percent-encoded. */
  readonly path: string
  readonly urlParams: ReadonlyArray<readonly [string, string]>
  readonly body: { readonly contentType: string; readonly text: string } | undefined
}

/** A request as the server reads it: path, query and body decoded by the contract's schemas. */
export interface DecodedRequest {
  /** The path relative to the API root, each segment percent-encoded, as the client would send it. */
  readonly httpPath: string
  readonly path: Record<string, string>
  readonly urlParams: Record<string, any>
  readonly payload: any
}

export interface EndpointCodec {
  readonly operation: OperationId
  readonly method: HttpMethod.HttpMethod
  /** The path template, e.g. `/projects/:project_name/pipelines/:pipeline_name/requests`. */
  readonly template: string
  /** The status of a successful response. */
  readonly successStatus: number
  /** Whether the operation creates requests (and so must not be repeated blindly). */
  readonly isCreate: boolean
  readonly encode: (request: RequestOf<OperationId>) => Either.Either<EncodedRequest, string>
  /** Encodes a request with only the checks that keep it well-formed (each path segment non-empty, without control
   * characters, not `.` or `..`; a body JSON can carry): limits, patterns and enumerations are left to the server
   * (the client's `clientSideValidation: false`). */
  readonly encodeUnchecked: (request: RequestOf<OperationId>) => Either.Either<EncodedRequest, string>
  /** Encodes a request as the client sends it, then decodes it as the server reads it (the in-process emulator
   * serves the decoded form); `Left` says what the client would refuse to send. */
  readonly decodeRequest: (request: RequestOf<OperationId>) => Either.Either<DecodedRequest, string>
  /** The server's message in an error response, read through the contract's error schema for its status. */
  readonly serverMessage: (status: number, body: string) => string | undefined
  /** `Any`: an untyped body the client does not rely on; it is read leniently and never fails. */
  readonly responseKind: "Json" | "Any" | "Bytes" | "Text" | "Empty"
  readonly decodeJson: (json: unknown) => Either.Either<unknown, ParseResult.ParseError>
  /** Reads the body of a 2xx as the operation's success: JSON decoded by its schema (a `DecodeError` saying where
   * it does not match), bytes, text, or nothing. */
  readonly decodeResponse: (
    where: { readonly operation: OperationId; readonly method: string; readonly path: string },
    status: number,
    body: string | ArrayBuffer | undefined
  ) => Effect.Effect<unknown, DecodeError>
}

const compileTemplate = (template: string) => {
  const parts = template.split("/").map((part) => part.startsWith(":") ? { param: part.slice(1) } : { literal: part })
  return (params: Record<string, string>): string =>
    parts.map((part) => "literal" in part ? part.literal : encodePathSegment(params[part.param])).join("/")
}

const textMembers = (ast: AST.AST): Option.Option<string> => {
  const members = ast._tag === "Union" ? ast.types : [ast]
  for (const member of members) {
    const encoding = HttpApiSchema.getEncoding(member)
    if (encoding.kind === "Text") return Option.some(encoding.contentType)
  }
  return Option.none()
}

/** The beginning of a body, on one line. */
export const excerpt = (text: string, length = 200): string => {
  const compact = text.replace(/\s+/g, " ").trim()
  return compact.length > length ? `${compact.slice(0, length)}...` : compact
}

const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

/** The message of an error body: `error`, else `error_message`, else `detail`, through the status's schema first,
 * then the lenient `ErrorBody`; a body that is not JSON (an HTML page from a proxy, say) gives its text. */
const errorMessageReader = (errors: ReadonlyMap<number, { readonly ast: Option.Option<AST.AST> }>) => {
  const byStatus = new Map<number, (json: unknown) => Option.Option<unknown>>()
  for (const [status, { ast }] of errors) {
    if (Option.isSome(ast)) byStatus.set(status, Schema.decodeUnknownOption(Schema.make(ast.value)))
  }
  return (status: number, body: string): string | undefined => {
    if (body.length === 0) return undefined
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      return excerpt(body.replace(/<[^>]*>/g, " "))
    }
    const strict = Option.flatMap(Option.fromNullable(byStatus.get(status)), (decode) => decode(json))
    if (Option.isSome(strict)) {
      const message = (strict.value as { readonly error?: unknown }).error
      if (typeof message === "string" && message.length > 0) return message
    }
    const lenient = decodeErrorBody(json)
    if (Option.isSome(lenient)) {
      for (const candidate of [lenient.value.error, lenient.value.error_message, lenient.value.detail]) {
        if (typeof candidate === "string" && candidate.length > 0) return candidate
      }
    }
    return excerpt(body.replace(/<[^>]*>/g, " "))
  }
}

/** What makes a value unusable as one path segment, whatever the server accepts: the URL would change shape. */
const pathSegmentIssue = (value: unknown): string | undefined => {
  if (typeof value !== "string" || value.length === 0) return "must be a non-empty string"
  if (/[\u0000-\u001f\u007f]/.test(value)) return "must not contain control characters"
  if (value === "." || value === "..") return "must not be \".\" or \"..\""
  return undefined
}

const roundTrip = (schema: Schema.Schema.Any) => {
  const encode = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
  const decode = Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
  return (value: unknown): Either.Either<any, ParseResult.ParseError> => Either.flatMap(encode(value), decode)
}

const withoutUndefined = (record: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))

const compile = (
  endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps,
  errors: ReadonlyMap<number, { readonly ast: Option.Option<AST.AST> }>
): EndpointCodec => {
  const makePath = compileTemplate(endpoint.path)
  const encodePath = Option.map(endpoint.pathSchema, (schema) => {
    const withSchema = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
    const fast = Fast.compileStringStruct(schema.ast)
    if (fast === undefined) return withSchema
    return (params: unknown) => {
      const encoded = fast(params)
      return encoded === Fast.FAIL ? withSchema(params) : Either.right(encoded)
    }
  })
  const encodeUrlParams = Option.map(
    endpoint.urlParamsSchema,
    (schema) => Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
  )
  const encodePayload = Option.map(endpoint.payloadSchema, (schema) => {
    const withSchema = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
    const fast = Fast.encoderOf(schema)
    if (fast === undefined) return withSchema
    return (payload: unknown) => {
      const encoded = fast(payload)
      return encoded === Fast.FAIL ? withSchema(payload) : Either.right(encoded)
    }
  })
  const textContentType = Option.flatMap(endpoint.payloadSchema, (schema) => textMembers(schema.ast))

  const successAst = endpoint.successSchema.ast
  const encoding = HttpApiSchema.getEncoding(successAst)
  const responseKind = HttpApiSchema.isVoid(successAst)
    ? "Empty"
    : successAst._tag === "UnknownKeyword"
    ? "Any"
    : encoding.kind === "Uint8Array"
    ? "Bytes"
    : encoding.kind === "Text"
    ? "Text"
    : "Json"
  const decodeWithSchema = Schema.decodeUnknownEither(Schema.make(successAst), {
    errors: "first",
    onExcessProperty: "ignore"
  })
  const fast = Fast.compile(successAst)
  const decodeJson = fast === undefined ? decodeWithSchema : (json: unknown) => {
    const value = fast(json)
    return value === Fast.FAIL ? decodeWithSchema(json) : Either.right(value)
  }

  const encode = (request: RequestOf<OperationId>): Either.Either<EncodedRequest, string> => {
    let path = endpoint.path as string
    if (encodePath._tag === "Some") {
      const encoded = encodePath.value(request.path)
      if (Either.isLeft(encoded)) return Either.left(formatIssue(encoded.left))
      path = makePath(encoded.right as Record<string, string>)
    }
    const urlParams: Array<readonly [string, string]> = []
    if (encodeUrlParams._tag === "Some") {
      const encoded = encodeUrlParams.value(request.urlParams ?? {})
      if (Either.isLeft(encoded)) return Either.left(formatIssue(encoded.left))
      for (const [key, value] of Object.entries(encoded.right as Record<string, string | ReadonlyArray<string>>)) {
        if (value === undefined) continue
        if (typeof value === "string") urlParams.push([key, value])
        else for (const item of value) urlParams.push([key, item])
      }
    }
    let body: EncodedRequest["body"] = undefined
    if (encodePayload._tag === "Some") {
      const encoded = encodePayload.value(request.payload)
      if (Either.isLeft(encoded)) return Either.left(formatIssue(encoded.left))
      if (typeof encoded.right === "string" && textContentType._tag === "Some") {
        body = { contentType: textContentType.value, text: encoded.right }
      } else {
        try {
          body = { contentType: "application/json", text: JSON.stringify(encoded.right) }
        } catch (error) {
          return Either.left(`the data cannot be serialised as JSON: ${error instanceof Error ? error.message : error}`)
        }
        if (body.text === undefined) return Either.left("the data cannot be serialised as JSON")
      }
    }
    return Either.right({ method: endpoint.method, path, urlParams, body })
  }

  const encodeUnchecked = (request: RequestOf<OperationId>): Either.Either<EncodedRequest, string> => {
    const params = (request.path ?? {}) as Record<string, unknown>
    for (const [name, value] of Object.entries(params)) {
      const issue = pathSegmentIssue(value)
      if (issue !== undefined) return Either.left(`${name}: ${issue}`)
    }
    const path = endpoint.pathSchema._tag === "Some" ? makePath(params as Record<string, string>) : endpoint.path
    const urlParams: Array<readonly [string, string]> = []
    for (const [key, value] of Object.entries((request.urlParams ?? {}) as Record<string, unknown>)) {
      if (value === undefined) continue
      urlParams.push([key, Array.isArray(value) ? value.join(",") : String(value)])
    }
    let body: EncodedRequest["body"] = undefined
    if (endpoint.payloadSchema._tag === "Some" && request.payload !== undefined) {
      const payload: unknown = request.payload
      if (typeof payload === "string" && textContentType._tag === "Some") {
        body = { contentType: textContentType.value, text: payload }
      } else {
        let text: string | undefined
        try {
          text = JSON.stringify(payload)
        } catch (error) {
          return Either.left(`the data cannot be serialised as JSON: ${error instanceof Error ? error.message : error}`)
        }
        if (text === undefined) return Either.left("the data cannot be serialised as JSON")
        body = { contentType: "application/json", text }
      }
    }
    return Either.right({ method: endpoint.method, path, urlParams, body })
  }

  const serverPath = Option.map(endpoint.pathSchema, roundTrip)
  const serverUrlParams = Option.map(endpoint.urlParamsSchema, roundTrip)
  const serverPayload = Option.map(endpoint.payloadSchema, roundTrip)
  const decodeRequest = (request: RequestOf<OperationId>): Either.Either<DecodedRequest, string> => {
    const encoded = encode(request)
    if (Either.isLeft(encoded)) return Either.left(encoded.left)
    const decoded: { httpPath: string; path: Record<string, string>; urlParams: Record<string, any>; payload: any } = {
      httpPath: encoded.right.path,
      path: request.path as Record<string, string>,
      urlParams: {},
      payload: undefined
    }
    for (
      const [key, part, value] of [
        ["path", serverPath, request.path],
        ["urlParams", serverUrlParams, withoutUndefined((request.urlParams ?? {}) as Record<string, unknown>)],
        ["payload", serverPayload, request.payload]
      ] as const
    ) {
      if (Option.isNone(part)) continue
      const result = part.value(value)
      if (Either.isLeft(result)) return Either.left(formatIssue(result.left))
      decoded[key] = result.right
    }
    return Either.right(decoded)
  }

  const decodeResponse: EndpointCodec["decodeResponse"] = (where, status, body) => {
    switch (responseKind) {
      case "Empty":
        return Effect.void
      case "Bytes":
        return Effect.succeed(new Uint8Array(body as ArrayBuffer))
      case "Text":
        return Effect.succeed(body)
      case "Any": {
        try {
          return Effect.succeed(body === "" ? undefined : JSON.parse(body as string))
        } catch {
          return Effect.succeed(body)
        }
      }
    }
    const text = body as string
    const fail = (issue: string) =>
      Effect.fail(
        new DecodeError({ ...where, status, issue, bodyExcerpt: text.length === 0 ? "(empty)" : excerpt(text) })
      )
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return fail(text.length === 0 ? "the body is empty, JSON was expected" : "the body is not valid JSON")
    }
    const decoded = decodeJson(json)
    return Either.isRight(decoded) ? Effect.succeed(decoded.right) : fail(formatIssue(decoded.left))
  }

  return {
    operation: endpoint.name as OperationId,
    method: endpoint.method,
    template: endpoint.path,
    successStatus: HttpApiSchema.getStatusSuccessAST(successAst),
    isCreate: isCreate(endpoint.name),
    encode,
    encodeUnchecked,
    decodeRequest,
    serverMessage: errorMessageReader(errors),
    responseKind,
    decodeJson,
    decodeResponse
  }
}

let codecs: Map<string, EndpointCodec> | undefined

/**
 * The codec of one endpoint. The contract is compiled once, on first use (when a client or an emulator makes its
 * first call), not when the module is imported.
 */
export const codec = (operation: OperationId): EndpointCodec => {
  if (codecs === undefined) {
    registerModelReaders()
    const byName = new Map<string, EndpointCodec>()
    HttpApi.reflect(PipelineRequestsApi, {
      onGroup() {},
      onEndpoint({ endpoint, errors }) {
        byName.set(
          endpoint.name,
          compile(endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps, errors)
        )
      }
    })
    codecs = byName
  }
  return codecs.get(operation)!
}
