/**
 * Collect fails as a whole when one id does not exist (404): the ids are then split in halves, and groups of at most 8
 * read id by id, until the missing ones are found, so that the others are still read. When every id is missing (all
 * gone under retention `none`), that costs about 1.2 calls per id; one missing id among 250 about 20 calls.
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { ReadError } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"

export interface Collected {
  readonly details: ReadonlyArray<PipelineRequestDetail>
  /** The ids the server does not have. */
  readonly missing: ReadonlyArray<string>
  /** Collect calls made. */
  readonly calls: number
}

const smallGroup = 8

/** Collects `ids` with `collect`, leaving out those that no longer exist. */
export const collectExisting = (
  collect: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<PipelineRequestDetail>, ReadError>,
  ids: ReadonlyArray<string>
): Effect.Effect<Collected, ReadError> =>
  collect(ids).pipe(
    Effect.map((details): Collected => ({ details, missing: [], calls: 1 })),
    Effect.catchTag("NotFound", () => {
      if (ids.length === 1) return Effect.succeed<Collected>({ details: [], missing: ids, calls: 1 })
      // a small group is read id by id: fewer calls than halving it when most ids are missing (retention none)
      if (ids.length <= smallGroup) {
        return Effect.map(
          Effect.forEach(ids, (id) => collectExisting(collect, [id])),
          (parts): Collected => ({
            details: parts.flatMap((part) => part.details),
            missing: parts.flatMap((part) => part.missing),
            calls: 1 + parts.length
          })
        )
      }
      const half = Math.ceil(ids.length / 2)
      return Effect.map(
        Effect.zip(collectExisting(collect, ids.slice(0, half)), collectExisting(collect, ids.slice(half))),
        ([a, b]): Collected => ({
          details: [...a.details, ...b.details],
          missing: [...a.missing, ...b.missing],
          calls: 1 + a.calls + b.calls
        })
      )
    })
  )
