/**
 * The output file of a batch run: one JSONL line per input line, written as results arrive,
 *
 * ```json
 * {"index":0,"requestId":"…","status":"completed","result":{…},"error":null}
 * ```
 *
 * and, on resume, the record of what was already written: the file is the source of truth for what was
 * emitted, so a line is never written twice, whatever the checkpoint says.
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Batch from "@ubiops-effect/stream/Batch"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { InvalidLine, ValidLine } from "./InputFile.js"
import { printable } from "./internal/printable.js"

/**
 * `completed`, `failed` and `cancelled` are the request's final status; `gone`: the server no longer had the request
 * when it was polled (deleted, or not kept: retention `none`), so how it ended is unknown; `invalid` is a line that
 * was not sent; `unconfirmed`: its create failed without telling whether it was accepted and nothing the server
 * shows can confirm it (retention `metadata` or `none`), so it was not sent again.
 *
 * @since 1.0.0
 * @category models
 */
export type Status = "completed" | "failed" | "cancelled" | "gone" | "unconfirmed" | "invalid"

/**
 * @since 1.0.0
 * @category models
 */
export interface OutputLine {
  /** The input line's position in the input file, from 0. */
  readonly index: number
  /** `null` for an invalid line. */
  readonly requestId: string | null
  readonly status: Status
  /** The pipeline's output when completed, else `null`. */
  readonly result: unknown
  /** Why it did not complete, else `null`. */
  readonly error: string | null
}

/**
 * The output line of a result.
 *
 * @since 1.0.0
 * @category constructors
 */
export const fromResult = (result: Batch.Result<ValidLine, unknown>): OutputLine => {
  const index = result.input.index
  switch (result.status) {
    case "completed":
      return { index, requestId: result.requestId, status: "completed", result: result.output ?? null, error: null }
    case "failed":
      return {
        index,
        requestId: result.requestId,
        status: "failed",
        result: null,
        error: result.errorMessage ?? "the request failed (UbiOps gave no error message)"
      }
    case "cancelled":
      return {
        index,
        requestId: result.requestId,
        status: "cancelled",
        result: null,
        error: "the request was cancelled"
      }
    case "gone":
      return {
        index,
        requestId: result.requestId,
        status: "gone",
        result: null,
        error: "the server no longer has the request (deleted, or not kept: request_retention_mode none)"
      }
    case "unconfirmed":
      return {
        index,
        requestId: null,
        status: "unconfirmed",
        result: null,
        error: "the create failed without telling whether it was accepted, and the server cannot confirm it"
      }
  }
}

/**
 * The output line of an input line that was not sent.
 *
 * @since 1.0.0
 * @category constructors
 */
export const fromInvalid = (line: InvalidLine): OutputLine => ({
  index: line.index,
  requestId: null,
  status: "invalid",
  result: null,
  error: line.reason
})

/**
 * One line of JSONL, with its newline.
 *
 * @since 1.0.0
 * @category formatting
 */
export const format = (line: OutputLine): string =>
  `${
    JSON.stringify({
      index: line.index,
      requestId: line.requestId,
      status: line.status,
      result: line.result,
      error: line.error
    })
  }\n`

/**
 * Which input lines have an output line: one byte per input line.
 *
 * @since 1.0.0
 * @category models
 */
export class WrittenIndices {
  private readonly written: Uint8Array
  private count = 0

  constructor(readonly capacity: number) {
    this.written = new Uint8Array(capacity)
  }

  has(index: number): boolean {
    return this.written[index] === 1
  }

  /** Returns false when the index was already there. */
  add(index: number): boolean {
    if (this.written[index] === 1) return false
    this.written[index] = 1
    this.count++
    return true
  }

  get size(): number {
    return this.count
  }
}

/**
 * The output file holds something else than the results of a batch run of this input.
 *
 * @since 1.0.0
 * @category errors
 */
export class OutputFileError extends Data.TaggedError("OutputFileError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

/**
 * What an earlier run wrote.
 *
 * @since 1.0.0
 * @category models
 */
export interface Recovered {
  readonly written: WrittenIndices
  readonly counts: Record<Status, number>
  /** Bytes of an unfinished last line (a crash while writing it) that were cut off. */
  readonly truncatedBytes: number
}

const statuses: ReadonlySet<string> = new Set<Status>(["completed", "failed", "cancelled", "invalid"])

/** The byte length of the file up to and including its last newline. */
const completeLinesLength = (fs: FileSystem.FileSystem, path: string) =>
  Stream.runFold(fs.stream(path), { offset: 0, end: 0 }, (state, bytes) => {
    const newline = bytes.lastIndexOf(10)
    return { offset: state.offset + bytes.length, end: newline === -1 ? state.end : state.offset + newline + 1 }
  })

/**
 * Reads the output of an earlier run of an input of `inputLines` lines: which indices it holds, after cutting
 * off an unfinished last line. A missing file is an empty one.
 *
 * @since 1.0.0
 * @category constructors
 */
export const recover = (
  path: string,
  inputLines: number
): Effect.Effect<Recovered, OutputFileError | PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const written = new WrittenIndices(inputLines)
    const counts: Record<Status, number> = {
      completed: 0,
      failed: 0,
      cancelled: 0,
      gone: 0,
      unconfirmed: 0,
      invalid: 0
    }
    if (!(yield* fs.exists(path))) return { written, counts, truncatedBytes: 0 }
    const { end, offset } = yield* completeLinesLength(fs, path)
    if (end < offset) yield* fs.truncate(path, end)
    yield* fs.stream(path).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.runForEachChunk((chunk) =>
        Effect.suspend(() => {
          for (const text of chunk) {
            let line: Partial<OutputLine> | undefined
            try {
              line = JSON.parse(text)
            } catch {
              line = undefined
            }
            const index = line?.index
            if (
              typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= inputLines ||
              typeof line?.status !== "string" || !statuses.has(line.status)
            ) {
              return Effect.fail(
                new OutputFileError({
                  path,
                  reason: `a line is not a result of a batch run of this input (${
                    printable(text.length > 80 ? `${text.slice(0, 80)}…` : text)
                  }); resume with the same input and output, or start over with another output`
                })
              )
            }
            if (written.add(index)) counts[line.status as Status]++
          }
          return Effect.void
        })
      )
    )
    return { written, counts, truncatedBytes: offset - end }
  })

/**
 * Appends lines to the file (created if needed); each call returns once its bytes are written, so a line
 * handed over is on disk (in the OS's cache) before the next results are pulled.
 *
 * @since 1.0.0
 * @category constructors
 */
export const appender = (
  path: string
): Effect.Effect<
  (lines: ReadonlyArray<OutputLine>) => Effect.Effect<void, PlatformError>,
  PlatformError,
  FileSystem.FileSystem | Scope.Scope
> => textAppender(path, format)

/**
 * Appends lines to the file at `path`, each as `format` writes it (with its newline), in one write per call.
 *
 * @since 1.0.0
 * @category constructors
 */
export const textAppender = <L>(
  path: string,
  format: (line: L) => string
): Effect.Effect<
  (lines: ReadonlyArray<L>) => Effect.Effect<void, PlatformError>,
  PlatformError,
  FileSystem.FileSystem | Scope.Scope
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = yield* fs.open(path, { flag: "a" })
    const encoder = new TextEncoder()
    return (lines) => {
      if (lines.length === 0) return Effect.void
      let text = ""
      for (const line of lines) text += format(line)
      return file.writeAll(encoder.encode(text))
    }
  })
