/**
 * The input file's lines as a batch job reads them, and its output lines as it writes them.
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Pipeline from "@ubiops-effect/core/Pipeline"
import type { PipelineRequests, PipelineTarget, RequestData } from "@ubiops-effect/core/PipelineRequests"
import type * as Batch from "@ubiops-effect/stream/Batch"
import type * as Cancellation from "@ubiops-effect/stream/Cancellation"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { Options } from "../BatchJob.js"
import * as InputFile from "../InputFile.js"
import * as OutputFile from "../OutputFile.js"
import { InvalidInput, type JobError } from "./errors.js"

export const stderr = (message: string) => Effect.sync(() => process.stderr.write(`${message}\n`))

const RequestDataSchema: Schema.Schema<RequestData> = Schema.Union(
  Schema.String,
  Schema.Array(Schema.Unknown),
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * The pipeline as `Batch.run` sees it: each input is a line of the file, sent as its data, so that every
 * result carries its line.
 */
export const linePipeline = (target: PipelineTarget): Pipeline.Pipeline<InputFile.ValidLine, unknown> => {
  const untyped = Pipeline.make({ ...target, input: RequestDataSchema, output: Schema.Unknown })
  return {
    ...untyped,
    encodeInput: (line) => Effect.succeed(line.data),
    // the output schema is `Unknown`: its decoding is the identity, here an `Exit` that the batch reads at once
    decodeOutput: (result) => Exit.succeed(result),
    request: (line, options) => untyped.request(line.data, options)
  }
}

/** The valid lines; an invalid one fails the stream when invalid lines fail the run (the file changed since it
 * was checked). */
export const validLines = (options: Options) =>
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

/** The indices of the valid lines that have no output line. */
export const unwrittenLines = (options: Options, written: OutputFile.WrittenIndices) =>
  InputFile.lines(options.input, options.inputType).pipe(
    Stream.runFold([] as Array<number>, (missing, line) => {
      if (line._tag === "Valid" && !written.has(line.index)) missing.push(line.index)
      return missing
    })
  )

/** The indices of the input lines at these positions among the valid lines (the positions `Batch.run` counts). */
export const lineIndices = (options: Options, positions: ReadonlyArray<number>) => {
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

export const invalidLines = (
  options: Options
): Stream.Stream<OutputFile.OutputLine, PlatformError, FileSystem.FileSystem> =>
  options.onInvalid === "fail"
    ? Stream.empty
    : InputFile.lines(options.input, options.inputType).pipe(
      Stream.filterMap((line) => line._tag === "Invalid" ? Option.some(OutputFile.fromInvalid(line)) : Option.none())
    )

/** Results and invalid lines as output lines: in input order (both are sorted by index), or as they come. */
export const outputLines = (
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

/** The report of an interrupted run: what was cancelled, and what may still be queued or running on the server. */
export const interruptedMessage = (output: string, written: number, interruption: Cancellation.Report | undefined) => {
  if (interruption === undefined) {
    return `interrupted: ${written} lines written to ${output} by this run; no request was outstanding. ` +
      "Run again with --resume to finish."
  }
  const { alreadyFinished, cancelled, failedToCancel, outstanding, unknownCreates, unverified } = interruption
  const mayRun = failedToCancel + unknownCreates
  const left = [
    failedToCancel > 0 ? `${failedToCancel} whose cancel failed or did not answer in time` : "",
    unknownCreates > 0 ?
      `${unknownCreates} for lines whose create did not answer in time (the server may have ` +
      "accepted them)" :
      ""
  ].filter(Boolean).join(" and ")
  return `interrupted: ${written} lines written to ${output} by this run; ` +
    `${cancelled} of ${outstanding} outstanding requests cancelled on the server` +
    (alreadyFinished > 0 ? `, ${alreadyFinished} had already finished` : "") +
    (unverified > 0 ? `, ${unverified} cancels accepted but not confirmed` : "") +
    (mayRun > 0 ? `; up to ${mayRun} requests may still be queued or running: ${left}` : "") +
    ". Run again with --resume to finish" +
    (mayRun > 0 ? ": it finds those requests on the server and writes their results" : "") +
    " (lines whose requests were cancelled are run again)."
}
