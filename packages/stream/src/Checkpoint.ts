/**
 * Checkpoints of batch runs, kept in an `@effect/platform` `KeyValueStore` under a run key, so that a run
 * restarted with the same inputs and key resumes instead of submitting again.
 *
 * Inputs are numbered from 0 and cut into chunks of `chunkSize`; chunk `n` holds inputs `n * chunkSize` to
 * `(n + 1) * chunkSize - 1`. Under the run key `K`:
 * - `K`: `{ "version": 1, "project", "pipeline", "pipelineVersion", "chunkSize", "done", "complete" }`, where
 *   `done` counts the leading chunks whose results were all emitted;
 * - `K/c/n`: `{ "ids": [...] }`, the request ids of chunk `n`, written as soon as its create returned;
 * - `K/e/n`: which results of chunk `n` were emitted (`"0"`/`"1"` per input), for chunks not yet counted in
 *   `done`.
 * Keys of chunks counted in `done` are removed, so the store holds about one window of chunks at a time.
 *
 * @since 1.0.0
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * Where to keep the checkpoint of a run.
 *
 * @since 1.0.0
 * @category models
 */
export interface Options {
  readonly store: KeyValueStore.KeyValueStore
  /** Names the run: the same inputs under the same key resume the same run. */
  readonly key: string
}

/**
 * The checkpoint could not be read or written, or it belongs to another run.
 *
 * @since 1.0.0
 * @category errors
 */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{
  readonly key: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `checkpoint ${this.key}: ${this.reason}`
  }
}

/**
 * A chunk a previous run of the same key submitted.
 *
 * @since 1.0.0
 * @category models
 */
export interface RecordedChunk {
  readonly ids: ReadonlyArray<string>
  /** 1 for each input whose result was emitted, when some were. */
  readonly emitted: Uint8Array | undefined
}

/**
 * The checkpoint of one run, as `Batch.run` uses it.
 *
 * @since 1.0.0
 * @category models
 */
export interface Checkpoint {
  readonly key: string
  /** Whether a run of this key was recorded before. */
  readonly resuming: boolean
  /** Chunks before this one had all their results emitted. */
  readonly resumeFrom: number
  /** Whether a run of this key emitted all its results. */
  readonly complete: boolean
  /** What a previous run recorded of chunk `n`. */
  readonly lookup: (chunk: number) => Effect.Effect<Option.Option<RecordedChunk>, CheckpointError>
  /** Records the ids of chunk `n`, just created. */
  readonly recordAccepted: (chunk: number, ids: ReadonlyArray<string>) => Effect.Effect<void, CheckpointError>
  /** Starts following the emissions of chunk `n` (with what a previous run emitted of it). */
  readonly track: (chunk: number, size: number, emitted: Uint8Array | undefined) => void
  /** Notes that the result of input `offset` of chunk `n` was emitted. */
  readonly markEmitted: (chunk: number, offset: number) => void
  /** Writes down what was noted since the last commit. */
  readonly commit: Effect.Effect<void, CheckpointError>
  /** Records that every result was emitted. */
  readonly finish: Effect.Effect<void, CheckpointError>
}

interface Meta {
  readonly version: 1
  readonly project: string
  readonly pipeline: string
  readonly pipelineVersion: string | null
  readonly chunkSize: number
  readonly done: number
  readonly complete: boolean
}

interface ChunkEmissions {
  readonly size: number
  readonly emitted: Uint8Array
  count: number
  dirty: boolean
  /** Whether `K/e/n` exists in the store. */
  stored: boolean
}

const encodeEmitted = (emitted: Uint8Array): string => {
  let text = ""
  for (let i = 0; i < emitted.length; i++) text += emitted[i] === 1 ? "1" : "0"
  return text
}

const decodeEmitted = (text: string): Uint8Array => {
  const emitted = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) emitted[i] = text.charCodeAt(i) === 49 ? 1 : 0
  return emitted
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const isMeta = (u: unknown): u is Meta =>
  typeof u === "object" && u !== null && (u as Meta).version === 1 && typeof (u as Meta).chunkSize === "number" &&
  typeof (u as Meta).done === "number"

/**
 * Opens the checkpoint of a run: reads what a previous run of the key recorded (and checks that it was for the
 * same pipeline and chunk size), or records the start of a new run.
 *
 * @since 1.0.0
 * @category constructors
 */
export const open = (
  options: Options,
  run: { readonly target: PipelineTarget; readonly chunkSize: number }
): Effect.Effect<Checkpoint, CheckpointError> =>
  Effect.gen(function*() {
    const { key, store } = options
    const failed = (reason: string) => (cause: unknown) => new CheckpointError({ key, reason, cause })
    const chunkKey = (n: number) => `${key}/c/${n}`
    const emittedKey = (n: number) => `${key}/e/${n}`

    const stored = yield* Effect.mapError(store.get(key), failed("cannot read the checkpoint"))
    let meta: Meta
    if (Option.isSome(stored)) {
      const parsed = parseJson(stored.value)
      if (!isMeta(parsed)) return yield* new CheckpointError({ key, reason: "the stored checkpoint is not readable" })
      const sameTarget = parsed.project === run.target.project && parsed.pipeline === run.target.pipeline &&
        parsed.pipelineVersion === (run.target.version ?? null)
      if (!sameTarget || parsed.chunkSize !== run.chunkSize) {
        return yield* new CheckpointError({
          key,
          reason: `it was recorded for ${parsed.project}/${parsed.pipeline} with chunks of ${parsed.chunkSize}, ` +
            `not ${run.target.project}/${run.target.pipeline} with chunks of ${run.chunkSize}`
        })
      }
      meta = parsed
    } else {
      meta = {
        version: 1,
        project: run.target.project,
        pipeline: run.target.pipeline,
        pipelineVersion: run.target.version ?? null,
        chunkSize: run.chunkSize,
        done: 0,
        complete: false
      }
      yield* Effect.mapError(store.set(key, JSON.stringify(meta)), failed("cannot write the checkpoint"))
    }

    const chunks = new Map<number, ChunkEmissions>()
    let done = meta.done

    const lookup = (n: number) =>
      Effect.gen(function*() {
        const ids = yield* Effect.mapError(store.get(chunkKey(n)), failed(`cannot read chunk ${n}`))
        if (Option.isNone(ids)) return Option.none<RecordedChunk>()
        const parsed = parseJson(ids.value) as { ids?: unknown } | undefined
        if (!Array.isArray(parsed?.ids) || !parsed.ids.every((id) => typeof id === "string")) {
          return yield* new CheckpointError({ key, reason: `chunk ${n} is not readable` })
        }
        const emitted = yield* Effect.mapError(store.get(emittedKey(n)), failed(`cannot read chunk ${n}`))
        return Option.some<RecordedChunk>({
          ids: parsed.ids as Array<string>,
          emitted: Option.isSome(emitted) ? decodeEmitted(emitted.value) : undefined
        })
      })

    const recordAccepted = (n: number, ids: ReadonlyArray<string>) =>
      Effect.mapError(store.set(chunkKey(n), JSON.stringify({ ids })), failed(`cannot record chunk ${n}`))

    const track = (n: number, size: number, emitted: Uint8Array | undefined) => {
      const state: ChunkEmissions = {
        size,
        emitted: new Uint8Array(size),
        count: 0,
        dirty: false,
        stored: emitted !== undefined
      }
      if (emitted !== undefined) {
        for (let i = 0; i < size && i < emitted.length; i++) {
          if (emitted[i] === 1) {
            state.emitted[i] = 1
            state.count++
          }
        }
      }
      chunks.set(n, state)
    }

    const markEmitted = (n: number, offset: number) => {
      const state = chunks.get(n)
      if (state === undefined || state.emitted[offset] === 1) return
      state.emitted[offset] = 1
      state.count++
      state.dirty = true
    }

    const remove = (storeKey: string) => Effect.mapError(store.remove(storeKey), failed(`cannot remove ${storeKey}`))

    // `done` is written before the keys of the chunks it covers are removed: a crash in between leaves keys
    // that are never read again, never a chunk that looks unsubmitted.
    const commit = Effect.suspend(() => {
      const writes: Array<Effect.Effect<void, CheckpointError>> = []
      const removals: Array<Effect.Effect<void, CheckpointError>> = []
      const before = done
      for (;;) {
        const state = chunks.get(done)
        if (state === undefined || state.count < state.size) break
        chunks.delete(done)
        removals.push(remove(chunkKey(done)))
        if (state.stored) removals.push(remove(emittedKey(done)))
        done++
      }
      for (const [n, state] of chunks) {
        if (!state.dirty) continue
        state.dirty = false
        state.stored = true
        writes.push(
          Effect.mapError(store.set(emittedKey(n), encodeEmitted(state.emitted)), failed(`cannot record chunk ${n}`))
        )
      }
      if (done !== before) {
        meta = { ...meta, done }
        writes.push(Effect.mapError(store.set(key, JSON.stringify(meta)), failed("cannot write the checkpoint")))
      }
      writes.push(...removals)
      return writes.length === 0 ? Effect.void : Effect.all(writes, { discard: true })
    })

    const finish = Effect.zipRight(
      commit,
      Effect.suspend(() => {
        meta = { ...meta, done, complete: true }
        return Effect.mapError(store.set(key, JSON.stringify(meta)), failed("cannot write the checkpoint"))
      })
    )

    return {
      key,
      resuming: Option.isSome(stored),
      resumeFrom: meta.done,
      complete: meta.complete,
      lookup,
      recordAccepted,
      track,
      markEmitted,
      commit,
      finish
    }
  })
