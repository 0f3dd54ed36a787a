/**
 * `ubiops-effect batch`: a JSONL file through a pipeline with `Batch.run`, one output line per input line,
 * written as results arrive, resumable after a crash.
 *
 * - The input is read lazily, three times: a first pass checks and counts its lines (nothing is sent when a
 *   line is invalid and invalid lines fail the run), then the run reads the valid lines as it submits them
 *   and, with `onInvalid: "skip"`, a second reader reports the invalid ones.
 * - A result is appended to the output before the run pulls the next ones, and the run's checkpoint counts a
 *   result as emitted only once the next ones are pulled: the output never lacks a result the checkpoint
 *   counts. On resume the output is the source of truth: an index it holds is never written again; a line
 *   an earlier run wrote that it lacks now (`WrittenRecord`) is written again from the server's result.
 * - One run at a time on an output (`OutputLock`).
 *
 * @since 1.0.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Path from "@effect/platform/Path"
import type { PipelineRequests, PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import * as Batch from "@ubiops-effect/stream/Batch"
import type * as Cancellation from "@ubiops-effect/stream/Cancellation"
import * as Progress from "@ubiops-effect/stream/Progress"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as CheckpointStore from "./CheckpointStore.js"
import * as InputFile from "./InputFile.js"
import { defaults as jobDefaults } from "./internal/defaults.js"
import type { JobError } from "./internal/errors.js"
import { interruptedBeforeSending, InvalidInput, LostLines, OutputConflict, UncertainLines } from "./internal/errors.js"
import * as Lines from "./internal/lines.js"
import { restoreLines } from "./internal/restoreLines.js"
import { checkIdentity } from "./internal/runIdentity.js"
import * as OutputFile from "./OutputFile.js"
import * as OutputLock from "./OutputLock.js"
import * as ProgressLine from "./ProgressLine.js"
import * as Reruns from "./Reruns.js"
import * as Waiting from "./Waiting.js"
import * as WrittenRecord from "./WrittenRecord.js"

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
  readonly onUncertain?: "fail" | "resubmit" | "report" | undefined
  /** Draw the progress on standard error (default true). */
  readonly showProgress?: boolean | undefined
  /** After a Ctrl-C, `--resume` runs again the lines whose requests were cancelled (default true); false writes
   * them as `cancelled`. */
  readonly rerunCancelled?: boolean | undefined
  /** Says on the progress line (or, without it, in lines of its own) what the run waits for (its `observeClient` must
   * wrap the client's transport). */
  readonly waiting?: Waiting.Waiting | undefined
  /** Called once the job has started; from then on it reports an interrupt itself. */
  readonly onStart?: (() => void) | undefined
  /** Called with the progress of each pass of the run when it starts. */
  readonly onProgress?: ((progress: Progress.Progress) => void) | undefined
  /** Where the run's messages go (default: standard error). */
  readonly log?: ((message: string) => Effect.Effect<void>) | undefined
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = jobDefaults

/**
 * @since 1.0.0
 * @category errors
 */
export { InvalidInput, LostLines, OutputConflict, UncertainLines } from "./internal/errors.js"

/**
 * @since 1.0.0
 * @category errors
 */
export type { JobError } from "./internal/errors.js"

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
    const log = options.log ?? Lines.stderr
    const startedAt = yield* Clock.currentTimeMillis
    // the progress line's clock is the wall clock (under a TestClock, tests draw no progress)
    const jobStartedAt = Date.now()
    /** Whether an interrupt was reported; one that comes while the input is checked or the output locked is too. */
    let reported = false
    yield* Effect.addFinalizer((exit) =>
      reported || !Exit.isInterrupted(exit)
        ? Effect.void
        : log(interruptedBeforeSending)
    )
    options.onStart?.()
    const waiting = options.showProgress === false ? undefined : options.waiting
    // without a progress line, what the run waits for is said in lines of its own
    if (options.showProgress === false && options.waiting !== undefined) {
      yield* Effect.forkScoped(Waiting.report(options.waiting, log))
    }

    // the output (or its checkpoint folder) must not be the input: a resume cuts the output's unfinished last line
    const sameFile = (a: string, b: string) =>
      Effect.map(Effect.all([fs.realPath(a), fs.realPath(b)]), ([x, y]) => x === y).pipe(
        Effect.orElseSucceed(() => path.resolve(a) === path.resolve(b))
      )
    const checkpointDirectory = CheckpointStore.directoryOf(options.output)
    for (const written of [options.output, checkpointDirectory]) {
      if (yield* sameFile(options.input, written)) {
        return yield* new OutputConflict({
          reason: `${options.input} is the input and would be written as ${
            written === options.output ? "the output" : "the checkpoint"
          }: write the output to another file (nothing was read or written)`
        })
      }
    }

    const scan = yield* InputFile.scan(options.input, options.inputType)
    if (scan.invalid > 0 && options.onInvalid === "fail") {
      return yield* new InvalidInput({ path: options.input, invalid: scan.invalid, first: scan.firstInvalid })
    }

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
    let writtenByThisRun = 0
    let submittedByThisRun = 0
    let locked = false
    // A first run that stopped before anything was created or written (a wrong pipeline name, a bad token) leaves
    // nothing behind, so that it can be run again as it is, or corrected.
    yield* Effect.addFinalizer((exit) =>
      Effect.gen(function*() {
        if (exit._tag === "Success" || !startsAfresh || !locked || writtenByThisRun > 0 || submittedByThisRun > 0) {
          return
        }
        yield* Effect.ignore(fs.remove(options.output))
        yield* Effect.ignore(fs.remove(checkpointDirectory, { recursive: true }))
      })
    )
    // one run at a time on an output, from here (a resume cuts the output's unfinished last line) to the end
    yield* OutputLock.acquire(options.output, checkpointDirectory)
    locked = true
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
    const appendOutput = yield* OutputFile.appender(options.output)
    const recordPath = yield* WrittenRecord.pathIn(checkpointDirectory)
    const record = yield* WrittenRecord.appender(recordPath)
    const append = (lines: ReadonlyArray<OutputFile.OutputLine>) => Effect.zipRight(appendOutput(lines), record(lines))

    // lines an earlier run wrote that the output lacks now (cut short, deleted): written again from the server
    const missing = yield* WrittenRecord.missingFrom(recordPath, written)
    if (missing.size > 0) {
      const restored = yield* restoreLines(options, missing, (lines) =>
        Effect.suspend(() => {
          for (const line of lines) {
            written.add(line.index)
            counts[line.status]++
          }
          writtenByThisRun += lines.length
          return append(lines)
        })).pipe(
          Effect.onInterrupt(() =>
            log(
              `interrupted while writing again the ${missing.size} lines ${options.output} lacked ` +
                `(${writtenByThisRun} written): run again with --resume to finish`
            )
          )
        )
      yield* log(
        `${options.output} lacked ${missing.size} lines an earlier run wrote: ${restored.restored} written again ` +
          "from their results on the server"
      )
      if (restored.lost.length > 0) {
        return yield* new LostLines({
          output: options.output,
          indices: restored.lost,
          restored: restored.restored
        })
      }
    }

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
          ? Lines.validLines(options)
          : Stream.filter(Lines.validLines(options), (line) => wanted.has(line.index))

        let interruption: Cancellation.Report | undefined
        let skipped = 0
        const results = Batch.run(Lines.linePipeline(options.target), inputs, {
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
                Lines.lineIndices(options, error.indices),
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
        yield* Lines.outputLines(results, isFirst ? Lines.invalidLines(options) : Stream.empty, options.ordered).pipe(
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
                return log(Lines.interruptedMessage(options.output, writtenByThisRun, interruption))
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
      const missing = yield* Lines.unwrittenLines(options, written)
      if (missing.length === 0) return
      yield* log(`running again ${missing.length} lines whose requests were cancelled`)
      passes = yield* Reruns.append(store, passes, missing)
      yield* runPass(passes[passes.length - 1], false)
    }).pipe(
      Effect.onInterrupt(() =>
        Effect.suspend(() => {
          if (reported) return Effect.void
          reported = true
          return writtenByThisRun === 0 && submittedByThisRun === 0
            ? log("interrupted before anything was sent: run again (with --resume if resuming)")
            : log(Lines.interruptedMessage(options.output, writtenByThisRun, undefined))
        })
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
