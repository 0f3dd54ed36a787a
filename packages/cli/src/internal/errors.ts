/**
 * What a batch job fails with (re-exported by `BatchJob`).
 */
import type { PlatformError, SystemError } from "@effect/platform/Error"
import type * as Batch from "@ubiops-effect/stream/Batch"
import * as Data from "effect/Data"
import type * as InputFile from "../InputFile.js"
import type * as OutputFile from "../OutputFile.js"

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
 * Lines an earlier run wrote that the output lacks now (it was cut short or deleted) and whose results cannot be
 * collected again: the server no longer has their requests.
 *
 * @since 1.0.0
 * @category errors
 */
export class LostLines extends Data.TaggedError("LostLines")<{
  readonly output: string
  /** The indices of the input lines concerned (from 0, as in the output's `index`). */
  readonly indices: ReadonlyArray<number>
  /** Lines written again from their results on the server. */
  readonly restored: number
}> {
  override get message() {
    const first = this.indices.slice(0, 10).join(", ")
    const more = this.indices.length > 10 ? `, ... (${this.indices.length} in all)` : ""
    return `${this.output} lacks the lines with index ${first}${more}, which an earlier run wrote, and the server no ` +
      `longer has their requests (deleted, or past the pipeline's retention)` +
      (this.restored > 0 ? `; ${this.restored} other missing lines were written again` : "") +
      ". Nothing was sent. Restore the output from a copy, or remove it and its checkpoint to start over."
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
  | LostLines
  | OutputFile.OutputFileError
  | PlatformError
  | Batch.RunError

const errnoCode = (error: SystemError): string | undefined => {
  const code = (error.cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" ? code : /^([A-Z]+):/.exec(error.description ?? "")?.[1]
}

/**
 * What to say of a file the job could not write or read because of where it is: a read-only file system or missing
 * permissions, with the path; `undefined` for other errors.
 *
 * @since 1.0.0
 * @category errors
 */
export const fileErrorMessage = (error: unknown): string | undefined => {
  if ((error as { readonly _tag?: unknown } | null)?._tag !== "SystemError") return undefined
  const systemError = error as SystemError
  const code = errnoCode(systemError)
  const where = systemError.pathOrDescriptor === undefined ? "a file" : String(systemError.pathOrDescriptor)
  switch (code) {
    case "EROFS":
      return `${where}: cannot write there, the file system is read-only (EROFS): write the output to another place`
    case "EACCES":
    case "EPERM":
      return `${where}: permission denied (${code}) to ${
        systemError.method.startsWith("read") || systemError.method === "stat" ? "read it" : "write there"
      }`
  }
  return undefined
}

/** What an interrupt before the first request says (while the runner loads, the input is checked, the output locked). */
export const interruptedBeforeSending = "interrupted before anything was sent: nothing was created or written"
