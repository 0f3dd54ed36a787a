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
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { encodePathSegment, formatIssue } from "../ApiParams.js"
import type { OperationId, PipelineRequestsGroup } from "../PipelineRequestsApi.js"
import { PipelineRequestsApi } from "../PipelineRequestsApi.js"
import * as Fast from "./fastDecode.js"

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

export interface EndpointCodec {
  readonly operation: OperationId
  readonly method: HttpMethod.HttpMethod
  /** The path template, e.g. `/projects/:project_name/pipelines/:pipeline_name/requests`. */
  readonly template: string
  readonly encode: (request: RequestOf<OperationId>) => Either.Either<EncodedRequest, string>
  /** `Any`: an untyped body the client does not rely on; it is read leniently and never fails. */
  readonly responseKind: "Json" | "Any" | "Bytes" | "Text" | "Empty"
  readonly decodeJson: (json: unknown) => Either.Either<unknown, ParseResult.ParseError>
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

const compile = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps): EndpointCodec => {
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

  return {
    operation: endpoint.name as OperationId,
    method: endpoint.method,
    template: endpoint.path,
    encode,
    responseKind,
    decodeJson
  }
}

const codecs = (() => {
  const byName = new Map<string, EndpointCodec>()
  HttpApi.reflect(PipelineRequestsApi, {
    onGroup() {},
    onEndpoint({ endpoint }) {
      byName.set(endpoint.name, compile(endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps))
    }
  })
  return byName
})()

/** The codec of one endpoint. */
export const codec = (operation: OperationId): EndpointCodec => codecs.get(operation)!
