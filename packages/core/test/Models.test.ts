import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as Models from "../src/Models.js"
import examples from "./fixtures/seed-response-examples.json" with { type: "json" }

const schemaOf: Record<keyof typeof examples, Schema.Schema<any, any>> = {
  batch_pipeline_requests_create: Schema.Array(Models.PipelineRequestBatchCreateResponse),
  batch_pipeline_version_requests_create: Schema.Array(Models.PipelineRequestBatchCreateResponse),
  pipeline_requests_batch_get: Schema.Array(Models.PipelineRequestDetail),
  pipeline_version_requests_batch_get: Schema.Array(Models.PipelineRequestDetail),
  pipeline_requests_create: Models.PipelineRequestCreateResponse,
  pipeline_version_requests_create: Models.PipelineRequestCreateResponse,
  pipeline_requests_get: Models.PipelineRequestSingleDetail,
  pipeline_version_requests_get: Models.PipelineRequestSingleDetail,
  pipeline_requests_list: Schema.Array(Models.PipelineRequestList),
  pipeline_version_requests_list: Schema.Array(Models.PipelineRequestList),
  pipeline_version_object_requests_get: Models.OperatorRequestDetailBody
}

describe("Models", () => {
  it("covers every response example of the reference", () => {
    assert.deepStrictEqual(Object.keys(schemaOf).sort(), Object.keys(examples).sort())
  })

  for (const [operation, list] of Object.entries(examples)) {
    for (const [index, example] of list.entries()) {
      it(`decodes the reference's example ${index + 1} of ${operation}`, () => {
        const decoded = Schema.decodeUnknownEither(schemaOf[operation as keyof typeof examples])(example.body)
        assert.strictEqual(decoded._tag, "Right", decoded._tag === "Left" ? String(decoded.left) : "")
      })
    }
  }

  it("keeps a malformed timestamp as the string the server sent", () => {
    const [first] = Schema.decodeUnknownSync(Schema.Array(Models.PipelineRequestDetail))(
      examples.pipeline_requests_batch_get[0].body
    )
    assert.strictEqual(first.time_created, "2020-063-28T20:00:26.613+00:00")
    assert.strictEqual(Models.parseTimestamp(first.time_created), undefined)
    assert.strictEqual(
      Models.parseTimestamp("2020-03-28T20:00:26.613+00:00")?.toISOString(),
      "2020-03-28T20:00:26.613Z"
    )
  })

  it("keeps an odd status and the sub-requests", () => {
    const detail = Schema.decodeUnknownSync(Models.PipelineRequestSingleDetail)(examples.pipeline_requests_get[0].body)
    assert.strictEqual(detail.pipeline_requests[0].status, "true")
    assert.strictEqual(detail.deployment_requests[0].sequence_id, "16699092560130860")
    assert.strictEqual(detail.operator_requests[0].pipeline_object, "function-1")
    assert.deepStrictEqual(detail.request_data, { input_field: 23.5 })
    assert.deepStrictEqual(detail.origin, { created_by: "[email protected]" })
  })

  it("reads the operator request's object name from `object` and writes both names", () => {
    const body = examples.pipeline_version_object_requests_get[0].body
    const detail = Schema.decodeUnknownSync(Models.OperatorRequestDetailBody)(body)
    assert.strictEqual(detail.pipeline_object, "function-1")
    assert.strictEqual(detail.error_message, "")
    const encoded = Schema.encodeSync(Models.OperatorRequestDetailBody)(detail) as Record<string, unknown>
    assert.strictEqual(encoded.pipeline_object, "function-1")
    assert.strictEqual(encoded.object, "function-1")
  })

  it("ignores unknown fields, accepts missing nullable fields and numeric sequence ids", () => {
    const detail = Schema.decodeUnknownSync(Models.PipelineRequestDetail)({
      id: "a",
      status: "some-new-status",
      time_created: "2024-01-01T00:00:00Z",
      brand_new_field: { x: 1 },
      deployment_requests: [{ id: "d", status: "completed", sequence_id: 12, input_size: 10.7 }],
      operator_requests: null
    })
    assert.strictEqual(detail.status, "some-new-status")
    assert.strictEqual(detail.result, null)
    assert.deepStrictEqual(detail.operator_requests, [])
    assert.strictEqual(detail.deployment_requests[0].sequence_id, "12")
    assert.strictEqual(detail.deployment_requests[0].input_size, 10)
    assert.isFalse("brand_new_field" in detail)
  })

  it("fails where the library depends on a field: id and status", () => {
    const decode = Schema.decodeUnknownEither(Models.PipelineRequestList)
    assert.strictEqual(decode({ status: "completed", time_created: "x" })._tag, "Left")
    assert.strictEqual(decode({ id: "a", time_created: "x" })._tag, "Left")
    assert.strictEqual(decode({ id: 1, status: "completed", time_created: "x" })._tag, "Left")
  })
})
