import * as HttpApiError from "@effect/platform/HttpApiError"
import { assert, describe, it } from "@effect/vitest"
import * as UbiOpsError from "../src/UbiOpsError.js"

const where = { operation: "pipelineRequestsGet", method: "GET", path: "/v2.1/projects/p/pipelines/q/requests/r" }

describe("UbiOpsError", () => {
  it("isUbiOpsError knows its own errors by their type id", () => {
    assert.isTrue(UbiOpsError.isUbiOpsError(new UbiOpsError.NotFound({ ...where, status: 404 })))
    assert.isTrue(UbiOpsError.isUbiOpsError(new UbiOpsError.InvalidRequest({ operation: "x", reason: "y" })))
    assert.isTrue(
      UbiOpsError.isUbiOpsError(
        new UbiOpsError.Timeout({ ...where, scope: "call", afterMillis: 1, mayHaveReachedServer: true })
      )
    )
  })

  it("isUbiOpsError is false for @effect/platform's errors of the same tags", () => {
    assert.isFalse(UbiOpsError.isUbiOpsError(new HttpApiError.NotFound()))
    assert.isFalse(UbiOpsError.isUbiOpsError(new HttpApiError.BadRequest()))
    assert.isFalse(UbiOpsError.isUbiOpsError(new HttpApiError.Unauthorized()))
    assert.isFalse(UbiOpsError.isUbiOpsError(new HttpApiError.Forbidden()))
    assert.isFalse(UbiOpsError.isUbiOpsError({ _tag: "NotFound" }))
  })

  it("keeps readable tags", () => {
    assert.strictEqual(new UbiOpsError.NotFound({ ...where, status: 404 })._tag, "NotFound")
  })
})
