import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as RetryBudget from "../src/RetryBudget.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as UbiOpsError from "../src/UbiOpsError.js"

const where = { operation: "pipelineRequestsGet", method: "GET", path: "/v2.1/projects/p/pipelines/q/requests/r" }

describe("RetryPolicy", () => {
  const server503 = new UbiOpsError.ServerError({ ...where, status: 503 })
  const refused = new UbiOpsError.TransportError({ ...where, mayHaveReachedServer: false, reason: "ECONNREFUSED" })
  const dropped = new UbiOpsError.TransportError({ ...where, mayHaveReachedServer: true, reason: "UND_ERR_SOCKET" })

  it("classifies once, for idempotent and non-idempotent operations", () => {
    assert.isTrue(RetryPolicy.isRetryable(server503, { idempotent: true }))
    assert.isFalse(RetryPolicy.isRetryable(server503, { idempotent: false }))
    assert.isTrue(RetryPolicy.isRetryable(refused, { idempotent: false }))
    assert.isFalse(RetryPolicy.isRetryable(dropped, { idempotent: false }))
    assert.isFalse(
      RetryPolicy.isRetryable(
        new UbiOpsError.DecodeError({ ...where, status: 200, issue: "x", bodyExcerpt: "" }),
        { idempotent: true }
      )
    )
    assert.isTrue(RetryPolicy.mayHaveReachedServer(dropped))
    assert.isFalse(RetryPolicy.mayHaveReachedServer(refused))
    assert.isTrue(RetryPolicy.mayHaveReachedServer(server503))
    // a 408 is someone's deadline on the way: a create behind it may have been accepted; a 400 was refused
    assert.isTrue(RetryPolicy.mayHaveReachedServer(new UbiOpsError.BadRequest({ ...where, status: 408 })))
    assert.isFalse(RetryPolicy.mayHaveReachedServer(new UbiOpsError.BadRequest({ ...where, status: 400 })))
  })

  it("never retries what waiting cannot mend: an unknown host, a TLS failure, a request the transport refused", () => {
    for (const failure of ["unknown-host", "tls", "invalid-request"] as const) {
      const error = new UbiOpsError.TransportError({ ...where, mayHaveReachedServer: false, reason: "x", failure })
      assert.isTrue(error.isPermanent, failure)
      assert.isFalse(RetryPolicy.isRetryable(error, { idempotent: true }), failure)
      assert.isFalse(RetryPolicy.isRetryable(error, { idempotent: false }), failure)
      assert.isFalse(RetryPolicy.mayHaveReachedServer(error), failure)
    }
    const refusedNow = new UbiOpsError.TransportError({
      ...where,
      mayHaveReachedServer: false,
      reason: "ECONNREFUSED",
      failure: "refused"
    })
    assert.isTrue(RetryPolicy.isRetryable(refusedNow, { idempotent: false }))
    assert.strictEqual(RetryPolicy.describe(refusedNow), "could not connect (ECONNREFUSED)")
    assert.strictEqual(RetryPolicy.describe(server503), "HTTP 503")
  })

  it.effect("mayRetry pays the shared budget, and refuses once it is spent", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make(15)
      assert.isTrue(yield* RetryPolicy.mayRetry(budget, server503, { idempotent: true }))
      assert.isTrue(yield* RetryPolicy.mayRetry(budget, dropped, { idempotent: true }))
      assert.isFalse(yield* RetryPolicy.mayRetry(budget, server503, { idempotent: true }))
      assert.isFalse(yield* RetryPolicy.mayRetry(budget, server503, { idempotent: false }))
      assert.strictEqual(yield* budget.available, 0)
    }))
})
