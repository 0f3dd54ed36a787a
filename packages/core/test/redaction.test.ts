import { assert, describe, it } from "@effect/vitest"
import * as Redacted from "effect/Redacted"
import * as Redaction from "../src/internal/redaction.js"
import { isUbiOpsError, ServerError, TransportError } from "../src/UbiOpsError.js"

const where = { operation: "pipelineRequestsGet", method: "GET", path: "/v2.1/projects/p/pipelines/q/requests/r" }
const token = "4f1c9e0a7b2d6e3f8a5c1b9d0e7f2a6c4b8d3e1f"

describe("redaction", () => {
  it("replaces the token wherever it appears, and keeps the error's class", () => {
    const redactor = Redaction.make(Redacted.make(`Token ${token}`))
    const error = redactor.error(new ServerError({ ...where, status: 500, serverMessage: `echo: Token ${token}x` }))
    assert.instanceOf(error, ServerError)
    assert.isTrue(isUbiOpsError(error))
    assert.strictEqual(error.serverMessage, "echo: Token <redacted token>x")
    assert.notInclude(String(error.stack), token)
  })

  it("takes the token out of a transport error's causes", () => {
    const redactor = Redaction.make(Redacted.make(`Token ${token}`))
    const cause = new TypeError("fetch failed", { cause: new Error(`bad value Token ${token}`) })
    const error = redactor.error(new TransportError({ ...where, mayHaveReachedServer: false, reason: "x", cause }))
    assert.instanceOf(error, TransportError)
    assert.notInclude(String((error.cause as Error).message), token)
    assert.strictEqual(error.reason, "x")
  })

  it("leaves an error without the token as it is, and a short token does not garble words", () => {
    const redactor = Redaction.make(Redacted.make("Token t"))
    const error = new ServerError({ ...where, status: 500, serverMessage: "timed out at the gateway" })
    assert.strictEqual(redactor.error(error), error)
    assert.strictEqual(redactor.text("header was 'Token t'"), "header was 'Token <redacted token>'")
  })
})
