/**
 * Writing again the output lines an earlier run wrote that the output lacks now (cut short, or deleted): the
 * results are collected again by request id (`WrittenRecord` has them) while the server keeps the requests, and an
 * invalid line is checked again from the input. What cannot be restored is named by the caller.
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import { Limits } from "@ubiops-effect/core/ApiParams"
import { isTerminalStatus, type PipelineRequestDetail } from "@ubiops-effect/core/Models"
import { PipelineRequests, type PipelineTarget, type ReadError } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Options } from "../BatchJob.js"
import * as InputFile from "../InputFile.js"
import * as OutputFile from "../OutputFile.js"

const collectsAtOnce = 4

export interface Restored {
  /** Lines written again. */
  readonly restored: number
  /** Indices whose requests the server no longer has (deleted, or past its retention), in input order. */
  readonly lost: ReadonlyArray<number>
}

/** Collects ids, leaving out those the server no longer has (a collect fails as a whole when one is missing). */
const collectExisting = (
  target: PipelineTarget,
  ids: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<PipelineRequestDetail>, ReadError, PipelineRequests> =>
  Effect.flatMap(PipelineRequests, (service) =>
    service.collect(target, ids).pipe(
      Effect.catchTag("NotFound", () => {
        if (ids.length === 1) return Effect.succeed([])
        const half = Math.ceil(ids.length / 2)
        return Effect.map(
          Effect.all([collectExisting(target, ids.slice(0, half)), collectExisting(target, ids.slice(half))]),
          ([a, b]) => [...a, ...b]
        )
      })
    ))

/** Writes again (with `write`, a group at a time, in input order when the output is ordered) the missing lines it
 * can restore; says which it cannot. */
export const restoreLines = (
  options: Options,
  missing: ReadonlyMap<number, string | null>,
  write: (lines: ReadonlyArray<OutputFile.OutputLine>) => Effect.Effect<void, PlatformError>
): Effect.Effect<Restored, ReadError | PlatformError, PipelineRequests | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const invalid: Array<OutputFile.OutputLine> = []
    const lost: Array<number> = []
    const toCollect: Array<{ readonly line: InputFile.ValidLine; readonly id: string }> = []
    yield* InputFile.lines(options.input, options.inputType).pipe(
      Stream.runForEach((line) =>
        Effect.sync(() => {
          if (!missing.has(line.index)) return
          const id = missing.get(line.index)
          if (line._tag === "Invalid") {
            if (id === null) invalid.push(OutputFile.fromInvalid(line))
            else lost.push(line.index)
          } else if (line._tag === "Valid" && id !== null && id !== undefined) {
            toCollect.push({ line, id })
          } else {
            lost.push(line.index)
          }
        })
      )
    )
    // one write at a time: the collects run side by side
    const writing = yield* Effect.makeSemaphore(1)
    yield* write(invalid)
    let restored = invalid.length
    const groups: Array<typeof toCollect> = []
    for (let start = 0; start < toCollect.length; start += Limits.maxItems) {
      groups.push(toCollect.slice(start, start + Limits.maxItems))
    }
    yield* Effect.forEach(
      groups,
      (group) =>
        Effect.flatMap(collectExisting(options.target, group.map((item) => item.id)), (details) => {
          const lines: Array<OutputFile.OutputLine> = []
          const byId = new Map(details.map((detail) => [detail.id, detail]))
          for (const { id, line } of group) {
            const detail = byId.get(id)
            if (detail === undefined || !isTerminalStatus(detail.status)) {
              lost.push(line.index)
              continue
            }
            const common = { index: line.index, input: line, requestId: id, detail }
            lines.push(OutputFile.fromResult(
              detail.status === "completed"
                ? { ...common, status: "completed", output: detail.result }
                : detail.status === "failed"
                ? { ...common, status: "failed", errorMessage: detail.error_message }
                : { ...common, status: "cancelled" }
            ))
          }
          restored += lines.length
          return writing.withPermits(1)(write(lines))
        }),
      { concurrency: options.ordered ? 1 : collectsAtOnce, discard: true }
    )
    return { restored, lost: lost.sort((a, b) => a - b) }
  })
