import * as HttpApi from "@effect/platform/HttpApi"
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { BatchRequestData, CancelIds, RequestIds } from "../src/ApiParams.js"
import { codec } from "../src/internal/endpoints.js"
import * as Fast from "../src/internal/fastDecode.js"
import * as Models from "../src/Models.js"
import { type OperationId, PipelineRequestsApi } from "../src/PipelineRequestsApi.js"

const jsonOperations: ReadonlyArray<readonly [OperationId, Schema.Schema<any, any>]> = [
  ["batchPipelineRequestsCreate", Schema.Array(Models.PipelineRequestBatchCreateResponse)],
  ["pipelineRequestsBatchGet", Schema.Array(Models.PipelineRequestDetail)],
  ["pipelineRequestsCreate", Models.PipelineRequestCreateResponse],
  ["pipelineRequestsGet", Models.PipelineRequestSingleDetail],
  ["pipelineRequestsList", Schema.Array(Models.PipelineRequestList)],
  ["pipelineVersionObjectRequestsGet", Models.OperatorRequestDetailBody]
]

/** JSON values shaped like the models: right keys, values of any JSON type (often the right one). */
const nearly = (schema: Schema.Schema<any, any>) => {
  const valid = Arbitrary.make(Schema.encodedSchema(schema))
  const anyJson = FastCheck.jsonValue()
  const mutate = (value: unknown): FastCheck.Arbitrary<unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? FastCheck.record(
        Object.fromEntries(
          Object.entries(value).map(([key, field]) => [key, FastCheck.oneof(FastCheck.constant(field), anyJson)])
        )
      )
      : Array.isArray(value)
      ? FastCheck.tuple(...value.map(mutate))
      : FastCheck.oneof(FastCheck.constant(value), anyJson)
  return FastCheck.oneof(valid, valid.chain(mutate), anyJson)
}

describe("decoders", () => {
  for (const [operation, schema] of jsonOperations) {
    it(`${operation}: the fast path and Schema agree on arbitrary JSON`, () => {
      const decode = codec(operation).decodeJson
      const reference = Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })
      const encode = Schema.encodeSync(schema)
      FastCheck.assert(
        FastCheck.property(nearly(schema), (input) => {
          const text = JSON.stringify(input) ?? "null"
          // the fast path normalises the parsed JSON in place: each side gets its own copy
          const ours = decode(JSON.parse(text))
          const theirs = reference(JSON.parse(text))
          assert.strictEqual(ours._tag, theirs._tag, text)
          if (Either.isRight(ours) && Either.isRight(theirs)) {
            // the same values in the declared fields (the fast path keeps undeclared ones), the same classes
            assert.deepStrictEqual(encode(ours.right), encode(theirs.right))
            assert.strictEqual(Object.getPrototypeOf(ours.right), Object.getPrototypeOf(theirs.right))
          }
        }),
        { numRuns: 300 }
      )
    })

    it(`${operation}: never throws, whatever the JSON`, () => {
      const decode = codec(operation).decodeJson
      FastCheck.assert(FastCheck.property(FastCheck.jsonValue(), (json) => void decode(json)), { numRuns: 300 })
    })
  }
})

describe("encoders", () => {
  const id = FastCheck.oneof(
    FastCheck.uuid(),
    FastCheck.string({ maxLength: 140 }),
    FastCheck.constantFrom("", "a/b", "../x", "x".repeat(128), "x".repeat(129))
  )
  const payloads = FastCheck.oneof(
    FastCheck.array(id, { maxLength: 260 }),
    FastCheck.array(FastCheck.jsonValue(), { maxLength: 260 }),
    FastCheck.jsonValue()
  )
  for (
    const [name, schema] of [["RequestIds", RequestIds], ["CancelIds", CancelIds], [
      "BatchRequestData",
      BatchRequestData
    ]] as const
  ) {
    it(`${name}: the fast path accepts only what Schema accepts, and encodes it the same`, () => {
      const fast = Fast.encoderOf(schema)!
      const reference = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
      FastCheck.assert(
        FastCheck.property(payloads, (payload) => {
          const quick = fast(payload)
          if (quick === Fast.FAIL) return
          const theirs = reference(payload)
          assert.isTrue(Either.isRight(theirs), JSON.stringify(payload))
          if (Either.isRight(theirs)) assert.deepStrictEqual(quick, theirs.right)
        }),
        { numRuns: 300 }
      )
    })
  }

  const names = FastCheck.oneof(
    id,
    FastCheck.constantFrom(".", "..", "a\u0000b", "tab\tname", "x".repeat(64), "x".repeat(65), "naïve name"),
    FastCheck.integer(),
    FastCheck.constant(null)
  )
  const pathSchemas = new Map<string, Schema.Schema<unknown, unknown>>()
  HttpApi.reflect(PipelineRequestsApi, {
    onGroup() {},
    onEndpoint({ endpoint }) {
      if (Option.isSome(endpoint.pathSchema)) {
        pathSchemas.set(endpoint.name, endpoint.pathSchema.value as unknown as Schema.Schema<unknown, unknown>)
      }
    }
  })
  const PipelineRequestsApiPathSchema = (operation: OperationId) => pathSchemas.get(operation)!
  for (const [name, path] of [["pipeline", "pipelineRequestsList"], ["request", "pipelineRequestsGet"]] as const) {
    it(`path parameters of ${name} endpoints: the fast path accepts exactly what Schema accepts`, () => {
      const encode = codec(path).encode
      FastCheck.assert(
        FastCheck.property(names, names, id, (project_name, pipeline_name, request_id) => {
          const params = { project_name, pipeline_name, request_id }
          const schema = PipelineRequestsApiPathSchema(path)
          const quick = Fast.compileStringStruct(schema.ast)!(params)
          const theirs = Schema.encodeUnknownEither(schema as Schema.Schema<unknown, unknown>)(params)
          assert.strictEqual(quick !== Fast.FAIL, Either.isRight(theirs), JSON.stringify(params))
          assert.strictEqual(Either.isRight(encode({ path: params } as never)), Either.isRight(theirs))
        }),
        { numRuns: 500 }
      )
    })
  }
})
