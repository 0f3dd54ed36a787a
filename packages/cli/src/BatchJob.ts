/**
 * `ubiops-effect batch`: a JSONL file through a pipeline with `Batch.run`, one output line per input line,
 * written as results arrive, resumable after a crash.
 *
 * - The input is read lazily, three times: a first pass checks and counts its lines (nothing is sent when a
 *   line is invalid and invalid lines fail the run), then the run reads the valid lines as it submits them
 *   and, with `onInvalid: "skip"`, a second reader reports the invalid ones.
 * - A result is appended to the output before the run pulls the next ones, and the run's checkpoint counts a
 *   result as emitted only once the next ones are pulled: the output never lacks a result the checkpoint
 *   counts. On resume the output is the source of truth: an index it holds is never written again.
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Path from "@effect/platform/Path"
import * as Pipeline from "@ubiops-effect/core/Pipeline"
import type { PipelineRequests, PipelineTarget, RequestData } from "@ubiops-effect/core/PipelineRequests"
import * as Batch from "@ubiops-effect/stream/Batch"
import type * as Cancellation from "@ubiops-effect/stream/Cancellation"
import * as Progress from "@ubiops-effect/stream/Progress"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as CheckpointStore from "./CheckpointStore.js"
import * as InputFile from "./InputFile.js"
import * as OutputFile from "./OutputFile.js"
import * as ProgressLine from "./ProgressLine.js"
import * as Reruns from "./Reruns.js"
import type * as Waiting from "./Waiting.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface Options {
  readonly target: PipelineTarget
  /** The JSONL input file. */
  readonly input: string
  /** The JSONL output file; the checkpoint goes in `<output>.checkpoint/`. */
  readonly output: string
  readonly inputType: InputFile.InputType
  /** `fail` (default): when a line is invalid, report the first ones and send nothing. `skip`: write an
   * `invalid` output line for each, and run the others. */
  readonly onInvalid: "fail" | "skip"
  /** Continue the run of this input and output (an output that exists is refused without it). */
  readonly resume: boolean
  /** Output lines in input order (default: as results arrive). */
  readonly ordered: boolean
  /** Batch creates in flight (default 4). */
  readonly concurrency?: number | undefined
  /** Requests in flight, created and not yet written (default `defaults.window`). */
  readonly window?: number | undefined
  /** When a create failed without telling whether the server accepted it and reconciliation cannot tell either
   * (requests without readable `request_data`): `fail` (default) stops the run; `resubmit` creates those lines
   * again (at least once: never lost, perhaps run twice). See `Reconciliation` in the stream package. */
  readonly onUncertain?: "fail" | "resubmit" | undefined
  /** Draw the progress on standard error (default true). */
  readonly showProgress?: boolean | undefined
  /** After a Ctrl-C, `--resume` runs again the lines whose requests were cancelled (default true); false writes
   * them as `cancelled`. */
  readonly rerunCancelled?: boolean | undefined
  /** Says on the progress line what the run waits for (its `observeClient` must wrap the client's transport). */
  readonly waiting?: Waiting.Waiting | undefined
  /** Called with the progress of each pass of the run when it starts. */
  readonly onProgress?: ((progress: Progress.Progress) => void) | undefined
  /** Where the run's messages go (default: standard error). */
  readonly log?: ((message: string) => Effect.Effect<void>) | undefined
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  /** Larger than `Batch.run`'s: a file's inputs are typically all wanted at once, so more of them may wait in the
   * pipeline's queue (each in-flight request costs its input line and id in memory). */
  window: 10_000,
  concurrency: Batch.defaults.concurrency
} as const

/**
 * The input has invalid lines and invalid lines fail the run: nothing was sent.
 *
 * @since 1.0.0
 * @category errors
 */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly path: string
  readonly invalid: number
  readonly first: ReadonlyArray<InputFile.InvalidLine>
}> {
  override get message() {
    const more = this.invalid > this.first.length ? `\n  … and ${this.invalid - this.first.length} more` : ""
    return `${this.path}: ${this.invalid} invalid line${this.invalid === 1 ? "" : "s"}, nothing was sent ` +
      `(pass --on-invalid skip to run the valid lines and write the invalid ones as "invalid"):\n` +
      this.first.map((line) => `  ${line.reason}`).join("\n") + more
  }
}

/**
 * The output (or its checkpoint) exists and `resume` was not asked for, or it belongs to another run.
 *
 * @since 1.0.0
 * @category errors
 */
export class OutputConflict extends Data.TaggedError("OutputConflict")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/**
 * Lines whose create may or may not have been accepted by the server (see `onUncertain`).
 *
 * @since 1.0.0
 * @category errors
 */
export class UncertainLines extends Data.TaggedError("UncertainLines")<{
  readonly path: string
  /** The indices of the input lines concerned (from 0, as in the output's `index`). */
  readonly indices: ReadonlyArray<number>
  readonly unreadable: number
}> {
  override get message() {
    const first = this.indices.slice(0, 5).join(", ")
    const more = this.indices.length > 5 ? `, ... (${this.indices.length} in all)` : ""
    return `${this.path}: cannot tell whether the lines with index ${first}${more} were accepted by the server: ` +
      `${this.unreadable} request(s) created meanwhile have no readable request_data (the pipeline's retention?). ` +
      "Nothing was created again. Run again with --resume --on-uncertain resubmit to create them again (perhaps " +
      "twice), or with --resume alone to try to tell again."
  }
}

/**
 * What a batch job can fail with.
 *
 * @since 1.0.0
 * @category errors
 */
export type JobError =
  | InvalidInput
  | OutputConflict
  | UncertainLines
  | OutputFile.OutputFileError
  | PlatformError
  | Batch.RunError

/**
 * @since 1.0.0
 * @category models
 */
export interface Summary {
  /** Lines of the input, blank ones included. */
  readonly lines: number
  /** Blank lines: not inputs, no output line. */
  readonly blank: number
  /** Output lines per status, in the whole output file. */
  readonly counts: Record<OutputFile.Status, number>
  /** Output lines an earlier run had written. */
  readonly alreadyWritten: number
  /** Output lines this run wrote. */
  readonly written: number
  readonly elapsedMillis: number
}

const stderr = (message: string) => Effect.sync(() => process.stderr.write(`${message}\n`))

const RequestDataSchema: Schema.Schema<RequestData> = Schema.Union(
  Schema.String,
  Schema.Array(Schema.Unknown),
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * The pipeline as `Batch.run` sees it: each input is a line of the file, sent as its data, so that every
 * result carries its line.
 */
const linePipeline = (target: PipelineTarget): Pipeline.Pipeline<InputFile.ValidLine, unknown> => {
  const untyped = Pipeline.make({ ...target, input: RequestDataSchema, output: Schema.Unknown })
  return {
    ...untyped,
    encodeInput: (line) => Effect.succeed(line.data),
    request: (line, options) => untyped.request(line.data, options)
  }
}

/** What the checkpoint records about the run besides `Batch.run`'s own record. */
interface RunIdentity {
  readonly input: string
  readonly inputBytes: number
  readonly project: string
  readonly pipeline: string
  readonly version: string | null
  readonly inputType: InputFile.InputType
}

const identityKey = "ubiops-effect-batch"

const checkIdentity = (store: KeyValueStore.KeyValueStore, identity: RunIdentity, output: string) =>
  Effect.gen(function*() {
    const stored = yield* store.get(identityKey)
    if (Option.isNone(stored)) return yield* store.set(identityKey, JSON.stringify(identity))
    const previous = yield* Effect.try({
      try: () => JSON.parse(stored.value) as RunIdentity,
      catch: () =>
        new OutputConflict({
          reason: `${output}: its checkpoint is not readable; remove ${output} and its checkpoint to start over`
        })
    })
    const differences = (Object.keys(identity) as Array<keyof RunIdentity>)
      .filter((key) => previous[key] !== identity[key])
      .map((key) => `${key} was ${JSON.stringify(previous[key])}, now ${JSON.stringify(identity[key])}`)
    if (differences.length > 0) {
      return yield* new OutputConflict({
        reason: `${output} belongs to another run (${differences.join("; ")}): resume with the same input, ` +
          "pipeline and input type, or write to another output"
      })
    }
  })

/** The valid lines; an invalid one fails the stream when invalid lines fail the run (the file changed since it
 * was checked). */
const validLines = (options: Options) =>
  InputFile.lines(options.input, options.inputType).pipe(
    Stream.mapChunksEffect((lines) => {
      const valid: Array<InputFile.ValidLine> = []
      for (const line of lines) {
        if (line._tag === "Valid") valid.push(line)
        else if (line._tag === "Invalid" && options.onInvalid === "fail") {
          return Effect.fail(new InvalidInput({ path: options.input, invalid: 1, first: [line] }))
        }
      }
      return Effect.succeed(Chunk.unsafeFromArray(valid))
    })
  )

const interruptedMessage = (output: string, written: number, interruption: Cancellation.Report | undefined) => {
  const cancelled = interruption === undefined
    ? "no request was outstanding"
    : `${interruption.cancelled} of ${interruption.outstanding} outstanding requests cancelled on the server` +
      (interruption.alreadyFinished > 0 ? `, ${interruption.alreadyFinished} had already finished` : "") +
      (interruption.failedToCancel > 0 ? `, ${interruption.failedToCancel} failed to cancel` : "") +
      (interruption.unknownCreates > 0
        ? `, ${interruption.unknownCreates} lines whose create did not answer in time may have requests running`
        : "")
  return `interrupted: ${written} lines written to ${output} by this run; ${cancelled}. ` +
    "Run again with --resume to finish (lines whose requests were cancelled are run again)."
}

/** The indices of the valid lines that have no output line. */
const unwrittenLines = (options: Options, written: OutputFile.WrittenIndices) =>
  InputFile.lines(options.input, options.inputType).pipe(
    Stream.runFold([] as Array<number>, (missing, line) => {
      if (line._tag === "Valid" && !written.has(line.index)) missing.push(line.index)
      return missing
    })
  )

/** The indices of the input lines at these positions among the valid lines (the positions `Batch.run` counts). */
const lineIndices = (options: Options, positions: ReadonlyArray<number>) => {
  const wanted = new Set(positions)
  return InputFile.lines(options.input, options.inputType).pipe(
    Stream.filter((line): line is InputFile.ValidLine => line._tag === "Valid"),
    Stream.zipWithIndex,
    Stream.filter(([, position]) => wanted.has(position)),
    Stream.map(([line]) => line.index),
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )
}

const invalidLines = (options: Options): Stream.Stream<OutputFile.OutputLine, PlatformError, FileSystem.FileSystem> =>
  options.onInvalid === "fail"
    ? Stream.empty
    : InputFile.lines(options.input, options.inputType).pipe(
      Stream.filterMap((line) => line._tag === "Invalid" ? Option.some(OutputFile.fromInvalid(line)) : Option.none())
    )

/** Results and invalid lines as output lines: in input order (both are sorted by index), or as they come. */
const outputLines = (
  results: Stream.Stream<
    Batch.Result<InputFile.ValidLine, unknown>,
    JobError,
    PipelineRequests | FileSystem.FileSystem
  >,
  invalid: Stream.Stream<OutputFile.OutputLine, PlatformError, FileSystem.FileSystem>,
  ordered: boolean
): Stream.Stream<OutputFile.OutputLine, JobError, PipelineRequests | FileSystem.FileSystem> => {
  const fromResults = Stream.map(results, OutputFile.fromResult)
  if (!ordered) return Stream.merge(fromResults, invalid)
  const byIndex = (line: OutputFile.OutputLine) => [line.index, line] as const
  const same = (line: OutputFile.OutputLine) => line
  return Stream.zipAllSortedByKeyWith(Stream.map(fromResults, byIndex), {
    other: Stream.map(invalid, byIndex),
    onSelf: same,
    onOther: same,
    onBoth: same,
    order: Order.number
  }).pipe(Stream.map(([, line]) => line))
}

/**
 * Runs the job; the summary when every input line has its output line.
 *
 * @since 1.0.0
 * @category constructors
 */
export const run = (
  options: Options
): Effect.Effect<Summary, JobError, PipelineRequests | FileSystem.FileSystem | Path.Path> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const log = options.log ?? stderr
    const startedAt = yield* Clock.currentTimeMillis
    // the progress line's clock is the wall clock (under a TestClock, tests draw no progress)
    const jobStartedAt = Date.now()
    const waiting = options.showProgress === false ? undefined : options.waiting

    const scan = yield* InputFile.scan(options.input, options.inputType)
    if (scan.invalid > 0 && options.onInvalid === "fail") {
      return yield* new InvalidInput({ path: options.input, invalid: scan.invalid, first: scan.firstInvalid })
    }

    const checkpointDirectory = CheckpointStore.directoryOf(options.output)
    const startsAfresh = !(yield* fs.exists(options.output)) && !(yield* fs.exists(checkpointDirectory))
    if (!options.resume) {
      for (const existing of [options.output, checkpointDirectory]) {
        if (yield* fs.exists(existing)) {
          return yield* new OutputConflict({
            reason: `${existing} exists: pass --resume to continue its run, or remove ${options.output} and ` +
              `${checkpointDirectory} to start over`
          })
        }
      }
    }
    const recovered = yield* OutputFile.recover(options.output, scan.lines)
    if (recovered.truncatedBytes > 0) {
      yield* log(`${options.output}: cut off an unfinished last line (${recovered.truncatedBytes} bytes)`)
    }
    const alreadyWritten = recovered.written.size
    if (options.resume && alreadyWritten > 0) {
      yield* log(`resuming: ${alreadyWritten} of ${scan.lines - scan.blank} lines were written by an earlier run`)
    }

    const store = yield* Effect.map(
      Layer.build(CheckpointStore.layer(checkpointDirectory)),
      Context.get(KeyValueStore.KeyValueStore)
    )
    const inputBytes = Number((yield* fs.stat(options.input)).size)
    yield* checkIdentity(store, {
      input: path.resolve(options.input),
      inputBytes,
      project: options.target.project,
      pipeline: options.target.pipeline,
      version: options.target.version ?? null,
      inputType: options.inputType
    }, options.output)

    const counts = { ...recovered.counts }
    const written = recovered.written
    let writtenByThisRun = 0
    let submittedByThisRun = 0
    // A first run that stopped before anything was created or written (a wrong pipeline name, a bad token) leaves
    // nothing behind, so that it can be run again as it is, or corrected.
    yield* Effect.addFinalizer((exit) =>
      Effect.gen(function*() {
        if (exit._tag === "Success" || !startsAfresh || writtenByThisRun > 0 || submittedByThisRun > 0) return
        yield* Effect.ignore(fs.remove(options.output))
        yield* Effect.ignore(fs.remove(checkpointDirectory, { recursive: true }))
      })
    )
    const append = yield* OutputFile.appender(options.output)
    let reported = false

    /** One `Batch.run` over the lines of `pass`; its lines whose requests were cancelled are left unwritten when
     * `rerunCancelled`. Returns how many were. */
    const runPass = (pass: Reruns.Pass, rerunCancelled: boolean) =>
      Effect.gen(function*() {
        const wanted = pass.indices === null ? undefined : new Set(pass.indices)
        const isFirst = pass.indices === null
        const lines = wanted === undefined
          ? scan.valid - (written.size - counts.invalid)
          : pass.indices!.filter((index) => !written.has(index)).length
        const progress = yield* Progress.make({ total: Math.max(0, lines) })
        options.onProgress?.(progress)
        const renderer = options.showProgress === false
          ? undefined
          : yield* Effect.forkScoped(
            ProgressLine.render(progress, { startedAt: jobStartedAt, waiting: waiting?.describe })
          )
        const inputs = wanted === undefined
          ? validLines(options)
          : Stream.filter(validLines(options), (line) => wanted.has(line.index))

        let interruption: Cancellation.Report | undefined
        let skipped = 0
        const results = Batch.run(linePipeline(options.target), inputs, {
          checkpoint: { store, key: pass.key },
          order: options.ordered ? "input" : "completion",
          concurrency: options.concurrency ?? defaults.concurrency,
          window: options.window ?? defaults.window,
          reconcile: { onUncertain: options.onUncertain ?? "fail" },
          progress,
          onInterrupted: (report) =>
            Effect.sync(() => {
              interruption = report
            })
        }).pipe(
          Stream.catchTag("UncertainCreate", (error) =>
            Stream.fromEffect(
              Effect.flatMap(
                lineIndices(options, error.indices),
                (indices) => new UncertainLines({ path: options.input, indices, unreadable: error.unreadable })
              )
            ))
        )
        /** The renderer draws its last line (once, when the run's progress is final) before anything else is said. */
        const rendered = Effect.suspend(() => {
          if (renderer === undefined) return Effect.void
          return Effect.flatMap(
            SubscriptionRef.get(progress),
            (snapshot) =>
              Progress.isDone(snapshot)
                ? Effect.ignore(Effect.timeout(Fiber.join(renderer), "1 second"))
                : Fiber.interrupt(renderer)
          )
        })
        yield* outputLines(results, isFirst ? invalidLines(options) : Stream.empty, options.ordered).pipe(
          Stream.runForEachChunk((chunk) => {
            const fresh: Array<OutputFile.OutputLine> = []
            for (const line of chunk) {
              if (rerunCancelled && line.status === "cancelled") skipped++
              else if (written.add(line.index)) {
                fresh.push(line)
                counts[line.status]++
              }
            }
            writtenByThisRun += fresh.length
            return append(fresh)
          }),
          Effect.ensuring(Effect.map(SubscriptionRef.get(progress), (snapshot) => {
            submittedByThisRun += snapshot.submitted
          })),
          Effect.onInterrupt(() =>
            Effect.zipRight(
              rendered,
              Effect.suspend(() => {
                reported = true
                return log(interruptedMessage(options.output, writtenByThisRun, interruption))
              })
            )
          )
        )
        yield* rendered
        return skipped
      })

    // Passes of earlier runs come first; their cancelled requests were cancelled by a Ctrl-C (or on the server):
    // their lines are run again in a new pass, unless `rerunCancelled` is false.
    const rerun = options.rerunCancelled ?? true
    let passes = yield* Reruns.read(store)
    const earlier = startsAfresh ? 0 : passes.length
    yield* Effect.gen(function*() {
      for (let index = 0; index < passes.length; index++) {
        yield* runPass(passes[index], rerun && index < earlier)
      }
      if (!rerun || earlier === 0) return
      const missing = yield* unwrittenLines(options, written)
      if (missing.length === 0) return
      yield* log(`running again ${missing.length} lines whose requests were cancelled`)
      passes = yield* Reruns.append(store, passes, missing)
      yield* runPass(passes[passes.length - 1], false)
    }).pipe(
      Effect.onInterrupt(() =>
        reported
          ? Effect.void
          : writtenByThisRun === 0 && submittedByThisRun === 0
          ? log("interrupted before anything was sent: run again (with --resume if resuming)")
          : log(interruptedMessage(options.output, writtenByThisRun, undefined))
      )
    )
    return {
      lines: scan.lines,
      blank: scan.blank,
      counts,
      alreadyWritten,
      written: writtenByThisRun,
      elapsedMillis: (yield* Clock.currentTimeMillis) - startedAt
    }
  }))
