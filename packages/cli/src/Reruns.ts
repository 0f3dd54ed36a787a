/**
 * The passes of a batch job over its input, recorded in its checkpoint so that `--resume` can continue each one.
 * The first pass (`run`) takes every valid line. A pass resumed after a Ctrl-C meets the requests that the Ctrl-C
 * cancelled: their lines are not written as `cancelled` but run again, in a new pass whose lines (their indices)
 * are recorded before it starts, so that it can be resumed in turn.
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * @since 1.0.0
 * @category models
 */
export interface Pass {
  /** The checkpoint key of its `Batch.run`. */
  readonly key: string
  /** The indices of its input lines, in input order; `null`: every valid line. */
  readonly indices: ReadonlyArray<number> | null
}

const Passes = Schema.parseJson(Schema.Array(Schema.Struct({
  key: Schema.String,
  indices: Schema.NullOr(Schema.Array(Schema.Number))
})))

const storeKey = "passes"

/**
 * The first pass: every valid line (the checkpoint key is that of runs made before passes were recorded).
 *
 * @since 1.0.0
 * @category constants
 */
export const first: Pass = { key: "run", indices: null }

/**
 * The passes recorded in the store (just the first one when none are).
 *
 * @since 1.0.0
 * @category constructors
 */
export const read = (
  store: KeyValueStore.KeyValueStore
): Effect.Effect<ReadonlyArray<Pass>, PlatformError> =>
  Effect.map(store.get(storeKey), (stored) =>
    Option.match(Option.flatMap(stored, Schema.decodeOption(Passes)), {
      onNone: () => [first],
      onSome: (passes) => passes.length === 0 ? [first] : passes
    }))

/**
 * Records a new pass over `indices` after `passes`, before it starts.
 *
 * @since 1.0.0
 * @category constructors
 */
export const append = (
  store: KeyValueStore.KeyValueStore,
  passes: ReadonlyArray<Pass>,
  indices: ReadonlyArray<number>
): Effect.Effect<ReadonlyArray<Pass>, PlatformError> => {
  const next = [...passes, { key: `rerun-${passes.length}`, indices }]
  return Effect.as(store.set(storeKey, Schema.encodeSync(Passes)(next)), next)
}
