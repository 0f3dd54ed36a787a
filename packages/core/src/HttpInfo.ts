/**
 * A response's status and headers beside its value: what `PipelineRequests`' `withHttpInfo` methods answer with (the
 * official client's `…_with_http_info`).
 *
 * @since 1.0.0
 */
import type * as Headers from "@effect/platform/Headers"
import type * as Effect from "effect/Effect"
import type { Service } from "./PipelineRequests.js"

/**
 * A value with the status and headers of the response it came from. A call that sends nothing (an empty list to
 * `createBatch`, `collect` or `deleteBatch`) has status 0 and no headers.
 *
 * @since 1.0.0
 * @category models
 */
export interface HttpInfo<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
}

/**
 * The service's methods answering with `HttpInfo` (the streaming call has no single response to describe).
 *
 * @since 1.0.0
 * @category models
 */
export type WithHttpInfo = {
  readonly [K in Exclude<keyof Service, "createStreaming" | "retryBudget" | "withHttpInfo">]: Service[K] extends
    (...args: infer P) => Effect.Effect<infer A, infer E, infer R> ? (...args: P) => Effect.Effect<HttpInfo<A>, E, R>
    : never
}
