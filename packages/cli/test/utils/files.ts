import * as FileSystem from "@effect/platform/FileSystem"
import { Effect } from "effect"
import type { OutputLine } from "../../src/OutputFile.js"

/** A fresh directory, removed when the scope closes. */
export const tempDirectory = Effect.flatMap(
  FileSystem.FileSystem,
  (fs) => fs.makeTempDirectoryScoped({ prefix: "ubiops-effect-cli-" })
)

export const writeLines = (path: string, lines: ReadonlyArray<string>, ending = "\n") =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, lines.map((line) => line + ending).join("")))

/** The output lines of a file, parsed. */
export const readOutput = (path: string) =>
  Effect.map(
    Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)),
    (text) => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as OutputLine)
  )
