/**
 * Checkpoints of batch runs, kept in an `@effect/platform` `KeyValueStore` under a run key, so that a run
 * restarted with the same inputs and key resumes instead of submitting again.
 *
 * Inputs are numbered from 0 and cut into chunks of `chunkSize`; chunk `n` holds inputs `n * chunkSize` to
 * `(n + 1) * chunkSize - 1`. Under the run key `K`:
 * - `K`: `{ "version": 1, "project", "pipeline", "pipelineVersion", "chunkSize", "done": 0, "complete": false }`,
 *   written once, when the run starts;
 * - `K/d/0` and `K/d/1`: `{ "seq", "done", "complete" }`, written in turn (the one with the higher `seq` holds),
 *   where `done` counts the leading chunks whose results were all emitted and `complete` says that all were;
 * - `K/i/n/a`: `{ "first", "last", "offsetLow", "offsetHigh", "concurrency" }`, the intent of attempt `a` (from 1) to
 *   create chunk `n`, written before that create is sent (local times in epoch ms, what was known of the clock
 *   offset between server and client, and how many creates were in flight at once): a run that stops without knowing
 *   whether the server accepted the chunk leaves this, and the next run finds out (see `Reconciliation`);
 * - `K/c/n`: `{ "ids": [...] }`, the request ids of chunk `n`, written as soon as its create returned;
 * - `K/e/n`: which results of chunk `n` were emitted (`"0"`/`"1"` per input), for chunks not yet counted in
 *   `done`.
 * Keys of chunks counted in `done` are removed, so the store holds about one window of chunks at a time.
 *
 * A crash can cut a write short, and a file store (`KeyValueStore.layerFileSystem`) truncates a file before writing
 * it, so every key but the emissions and the two progress slots is written once, and each reads safely when empty:
 * an empty `K` was the run's very start (nothing was sent), an empty intent was never followed by its create, empty
 * ids are as if the create had not returned (its intent applies), empty emissions read as none emitted (those results
 * come again), and of the two progress slots one always holds.
 *
 * @since 1.0.0
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { ParseError } from "effect/ParseResult"
import * as Schema from "effect/Schema"

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
 * A create of a chunk that was sent (or about to be) when a run stopped, without its ids being recorded.
 *
 * @since 1.0.0
 * @category models
 */
export interface Intent {
  /** Local time (epoch ms) the first create of the chunk was sent. */
  readonly first: number
  /** Local time (epoch ms) the latest create of the chunk was sent. */
  readonly last: number
  /** What was known then of the clock offset, server minus local (ms): at least this; null when unknown. */
  readonly offsetLow: number | null
  /** ... and at most this; null when unknown. */
  readonly offsetHigh: number | null
  /** Creates in flight at once in the run that wrote it. */
  readonly concurrency: number
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
  /** Records that chunk `n` is about to be sent (before each create of it). */
  readonly recordIntent: (chunk: number, intent: Intent) => Effect.Effect<void, CheckpointError>
  /** The intent a previous run left for chunk `n`, when it did not record the chunk's ids. */
  readonly intentOf: (chunk: number) => Intent | undefined
  /** The ids a previous run recorded for the chunks not yet done: requests that belong to this run. */
  readonly recordedIds: ReadonlyArray<string>
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

/** The run key's record, written once when the run starts. */
const Meta = Schema.Struct({
  version: Schema.Literal(1),
  project: Schema.String,
  pipeline: Schema.String,
  pipelineVersion: Schema.NullOr(Schema.String),
  chunkSize: Schema.Number,
  done: Schema.Number,
  complete: Schema.Boolean
})

/** A progress slot (`K/d/0`, `K/d/1`). */
const ProgressSlot = Schema.Struct({ seq: Schema.Number, done: Schema.Number, complete: Schema.Boolean })
type ProgressSlot = typeof ProgressSlot.Type

const finiteOrNull = Schema.NullOr(Schema.Number.pipe(Schema.finite()))

/** An attempt's intent (`K/i/n/a`). */
const StoredIntent = Schema.Struct({
  first: Schema.Number,
  last: Schema.Number,
  offsetLow: finiteOrNull,
  offsetHigh: finiteOrNull,
  concurrency: Schema.Number
})

/** The ids of a chunk (`K/c/n`). */
const ChunkIds = Schema.Struct({ ids: Schema.Array(Schema.String) })

/** Which results of a chunk were emitted (`K/e/n`): plain text, one `0` or `1` per input. */
const Emitted = Schema.String.pipe(Schema.pattern(/^[01]+$/))

/** A record's schema as JSON, built once per schema (`Schema.parseJson` makes a new schema, and its parser, per call). */
const jsonEncoders = new WeakMap<Schema.Schema.AnyNoContext, (value: unknown) => Effect.Effect<string, ParseError>>()
const jsonEncoder = <A, I>(schema: Schema.Schema<A, I>): (value: A) => Effect.Effect<string, ParseError> => {
  let encode = jsonEncoders.get(schema)
  if (encode === undefined) {
    encode = Schema.encodeUnknown(Schema.parseJson(schema))
    jsonEncoders.set(schema, encode)
  }
  return encode
}

/**
 * Opens the checkpoint of a run: reads what a previous run of the key recorded (and checks that it was for the
 * same pipeline and chunk size), or records the start of a new run.
 *
 * @since 1.0.0
 * @category constructors
 */
export const open = (
  options: Options,
  run: { readonly target: PipelineTarget; readonly chunkSize: number; readonly concurrency?: number | undefined }
): Effect.Effect<Checkpoint, CheckpointError> =>
  Effect.gen(function*() {
    const { key, store } = options
    const failed = (reason: string) => (cause: unknown) => new CheckpointError({ key, reason, cause })
    const chunkKey = (n: number) => `${key}/c/${n}`
    const emittedKey = (n: number) => `${key}/e/${n}`
    const intentKey = (n: number, attempt: number) => `${key}/i/${n}/${attempt}`
    const progressKey = (slot: number) => `${key}/d/${slot}`

    const read = (storeKey: string, what: string) =>
      Effect.map(
        Effect.mapError(store.get(storeKey), failed(`cannot read ${what}`)),
        // empty: a write cut short by a crash (see the module documentation)
        (value) => Option.isSome(value) && value.value !== "" ? value.value : undefined
      )

    /** A JSON record through its schema; `undefined` when absent or empty, `None` when it does not decode. */
    const readRecord = <A, I>(schema: Schema.Schema<A, I>, storeKey: string, what: string) =>
      Effect.map(read(storeKey, what), (text) =>
        text === undefined ? undefined : Schema.decodeUnknownOption(Schema.parseJson(schema))(text))
    const readOrFail = <A, I>(schema: Schema.Schema<A, I>, storeKey: string, what: string) =>
      Effect.flatMap(readRecord(schema, storeKey, what), (record) =>
        record === undefined
          ? Effect.succeed(undefined)
          : Option.match(record, {
            onNone: () =>
              new CheckpointError({ key, reason: `${what} is not readable` }),
            onSome: Effect.succeed
          }))
    const writeRecord = <A, I>(schema: Schema.Schema<A, I>, storeKey: string, value: A, what: string) =>
      Effect.flatMap(
        Effect.mapError(jsonEncoder(schema)(value), failed(`cannot encode ${what}`)),
        (text) => Effect.mapError(store.set(storeKey, text), failed(`cannot write ${what}`))
      )

    const stored = yield* readOrFail(Meta, key, "the stored checkpoint")
    let meta: typeof Meta.Type
    if (stored !== undefined) {
      const parsed = stored
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
      yield* writeRecord(Meta, key, meta, "the checkpoint")
    }

    // the progress: the readable slot with the higher seq (a record of the first version keeps it in `K`)
    let progress: ProgressSlot = { seq: 0, done: meta.done, complete: meta.complete }
    if (stored !== undefined) {
      for (const slot of [0, 1]) {
        const slotProgress = yield* readRecord(ProgressSlot, progressKey(slot), "the checkpoint")
        if (slotProgress !== undefined && Option.isSome(slotProgress) && slotProgress.value.seq > progress.seq) {
          progress = slotProgress.value
        }
      }
    }

    const chunks = new Map<number, ChunkEmissions>()
    let done = progress.done

    const readIds = (n: number) => Effect.map(readOrFail(ChunkIds, chunkKey(n), `chunk ${n}`), (record) => record?.ids)

    /** The intents of chunk `n`, attempt by attempt, merged (undefined when there is none). */
    const readIntents = (n: number) =>
      Effect.gen(function*() {
        let merged: Intent | undefined
        let attempts = 0
        for (let attempt = 1;; attempt++) {
          const intent: Intent | undefined = yield* readOrFail(StoredIntent, intentKey(n, attempt), `chunk ${n}`)
          if (intent === undefined) break
          attempts = attempt
          merged = merged === undefined ? intent : {
            ...intent,
            first: Math.min(merged.first, intent.first),
            last: Math.max(merged.last, intent.last),
            concurrency: Math.max(merged.concurrency, intent.concurrency)
          }
        }
        // an attempt whose write was cut short was never sent, but its (empty) key exists: removed with the others
        const next = yield* Effect.mapError(store.get(intentKey(n, attempts + 1)), failed(`cannot read chunk ${n}`))
        return { merged, keys: attempts + (Option.isSome(next) ? 1 : 0) }
      })

    // Resuming: find what the previous runs left of the chunks not yet done. Creates start in chunk order with at
    // most `concurrency` in flight, and each writes its intent (or has its ids) before it ends, so a chunk with a
    // record follows at most `concurrency - 1` without one (those in flight when it started): reading stops after
    // `concurrency` chunks in a row without a record.
    const intents = new Map<number, Intent>()
    /** Intent keys written per chunk (to remove once the chunk is done). */
    const intentKeys = new Map<number, number>()
    const recordedIds: Array<string> = []
    if (stored !== undefined && !progress.complete) {
      let span = run.concurrency ?? 1
      let missing = 0
      for (let n = done; missing < span; n++) {
        const ids = yield* readIds(n)
        const { keys, merged } = yield* readIntents(n)
        if (merged !== undefined) {
          intentKeys.set(n, keys)
          span = Math.max(span, merged.concurrency)
          if (ids === undefined) intents.set(n, merged)
        }
        if (ids !== undefined) recordedIds.push(...ids)
        missing = ids === undefined && merged === undefined ? missing + 1 : 0
      }
    }

    const lookup = (n: number) =>
      Effect.gen(function*() {
        const ids = yield* readIds(n)
        if (ids === undefined) return Option.none<RecordedChunk>()
        const emitted = Option.flatMap(
          Option.fromNullable(yield* read(emittedKey(n), `chunk ${n}`)),
          Schema.decodeUnknownOption(Emitted)
        )
        // emissions cut short by a crash read as none: those results are emitted again (at least once)
        return Option.some<RecordedChunk>({ ids, emitted: Option.getOrUndefined(Option.map(emitted, decodeEmitted)) })
      })

    const recordIntent = (n: number, intent: Intent) =>
      Effect.suspend(() => {
        const attempt = (intentKeys.get(n) ?? 0) + 1
        intentKeys.set(n, attempt)
        return writeRecord(StoredIntent, intentKey(n, attempt), intent, `the intent of chunk ${n}`)
      })

    const recordAccepted = (n: number, ids: ReadonlyArray<string>) =>
      writeRecord(ChunkIds, chunkKey(n), { ids }, `chunk ${n}`)

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
        const attempts = intentKeys.get(done) ?? 0
        intentKeys.delete(done)
        for (let attempt = 1; attempt <= attempts; attempt++) removals.push(remove(intentKey(done, attempt)))
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
      if (done !== before) writes.push(writeProgress(false))
      writes.push(...removals)
      return writes.length === 0 ? Effect.void : Effect.all(writes, { discard: true })
    })

    /** The next progress slot: the other one still holds the previous progress if this write is cut short. */
    const writeProgress = (complete: boolean) =>
      Effect.suspend(() => {
        progress = { seq: progress.seq + 1, done, complete }
        return writeRecord(ProgressSlot, progressKey(progress.seq % 2), progress, "the checkpoint")
      })

    const finish = Effect.zipRight(commit, writeProgress(true))

    return {
      key,
      resuming: stored !== undefined,
      resumeFrom: progress.done,
      complete: progress.complete,
      lookup,
      recordIntent,
      intentOf: (n) => intents.get(n),
      recordedIds,
      recordAccepted,
      track,
      markEmitted,
      commit,
      finish
    }
  })
