/**
 * The record, in the checkpoint folder, of each output line a batch job wrote: its index and its request id
 * (`-` for an invalid line), one `index id` line each, appended after the output line. `Batch.run`'s checkpoint
 * forgets the ids of chunks whose results were all emitted; this record keeps them, so that `--resume` can tell
 * which lines an output that was cut short or deleted lacks, and collect their results again by request id.
 *
 * The record may lack the last lines the output holds (a crash between the two writes): the output stays the
 * source of truth for what was written; the record only says what was written once.
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as OutputFile from "./OutputFile.js"

/**
 * The record's file in a checkpoint folder.
 *
 * @since 1.0.0
 * @category utils
 */
export const pathIn = (checkpointDirectory: string): Effect.Effect<string, never, Path.Path> =>
  Effect.map(Path.Path, (path) => path.join(checkpointDirectory, "written-lines"))

/**
 * Appends the index and request id of lines just written to the output.
 *
 * @since 1.0.0
 * @category constructors
 */
export const appender = (
  path: string
): Effect.Effect<
  (lines: ReadonlyArray<OutputFile.OutputLine>) => Effect.Effect<void, PlatformError>,
  PlatformError,
  FileSystem.FileSystem | Scope.Scope
> => OutputFile.textAppender(path, (line: OutputFile.OutputLine) => `${line.index} ${line.requestId ?? "-"}\n`)

/**
 * The lines the record says were written and `written` (what the output holds now) lacks: index -> request id
 * (`null` for an invalid line). A line of the record cut short by a crash is left out.
 *
 * @since 1.0.0
 * @category constructors
 */
export const missingFrom = (
  path: string,
  written: OutputFile.WrittenIndices
): Effect.Effect<Map<number, string | null>, PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const missing = new Map<number, string | null>()
    if (!(yield* fs.exists(path))) return missing
    // a last line without its newline was cut short by a crash: left out
    let rest = ""
    yield* fs.stream(path).pipe(
      Stream.decodeText(),
      Stream.runForEach((text) =>
        Effect.sync(() => {
          const lines = (rest + text).split("\n")
          rest = lines.pop()!
          for (const line of lines) {
            const space = line.indexOf(" ")
            const index = Number(line.slice(0, space))
            const id = line.slice(space + 1)
            if (space <= 0 || !Number.isInteger(index) || index < 0 || id === "") continue
            if (index < written.capacity && !written.has(index)) missing.set(index, id === "-" ? null : id)
          }
        })
      )
    )
    return missing
  })
