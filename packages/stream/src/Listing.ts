/**
 * The list endpoint of pipeline requests as a lazy stream.
 *
 * ```ts
 * import { Listing } from "@ubiops-effect/stream"
 * import { Stream } from "effect"
 *
 * const failed = Listing.listAll({ project: "demo", pipeline: "echo" }, { status: "failed" }).pipe(Stream.runCount)
 * ```
 *
 * @since 1.0.0
 */
import type { PipelineRequestList } from "@ubiops-effect/core/Models"
import {
  type ListOptions,
  PipelineRequests,
  type PipelineTarget,
  type ReadError
} from "@ubiops-effect/core/PipelineRequests"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { maxPageSize } from "./internal/limits.js"
import * as Validate from "./internal/options.js"

/**
 * The filters of `listAll`, and the size of its pages.
 *
 * @since 1.0.0
 * @category models
 */
export type ListAllOptions = Omit<ListOptions, "offset" | "limit"> & {
  /** Requests per list call, 1 to 50 (default 50, the API's maximum). */
  readonly pageSize?: number | undefined
}

/**
 * The list endpoint as a lazy stream: pages of `pageSize` (default 50, the API's maximum) fetched with
 * `offset`/`limit` as the stream is consumed, until a page comes back short. The list is newest first, so
 * requests created while paging shift the pages: an item may then be seen twice. A `pageSize` out of range fails
 * the stream with `InvalidRequest`, before any call.
 *
 * @since 1.0.0
 * @category constructors
 */
export const listAll = (
  target: PipelineTarget,
  filters?: ListAllOptions
): Stream.Stream<PipelineRequestList, ReadError, PipelineRequests> => {
  const { pageSize: requested = maxPageSize, ...rest } = filters ?? {}
  return Stream.unwrap(
    Effect.zipWith(
      Validate.integer("Batch.listAll", "pageSize", requested, 1, maxPageSize),
      PipelineRequests,
      (pageSize, service) =>
        Stream.paginateChunkEffect(
          0,
          (offset) =>
            Effect.map(service.list(target, { ...rest, offset, limit: pageSize }), (page) =>
              [
                Chunk.unsafeFromArray(page as Array<PipelineRequestList>),
                page.length < pageSize ? Option.none() : Option.some(offset + page.length)
              ] as const)
        )
    )
  )
}
