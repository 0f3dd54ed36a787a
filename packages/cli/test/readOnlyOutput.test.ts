/**
 * An output where nothing can be written (issue 15, item 6): the message says why (a read-only file system, a
 * permission), with the path, instead of a misleading ENOENT. The built executable, on a read-only file system when
 * the test can mount one (as root), or in a folder without write permission otherwise.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { run } from "./utils/cli.js"
import { tempDirectory, writeLines } from "./utils/files.js"

/** A read-only folder under `directory` and what writing there fails with; `undefined` when none can be made. */
const readOnlyFolder = (directory: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const folder = `${directory}/read-only`
    yield* fs.makeDirectory(folder)
    if (process.getuid?.() !== 0) {
      yield* fs.chmod(folder, 0o555)
      return { folder, expected: /permission denied \(EACCES\)/ }
    }
    const mounted = yield* Effect.try(() =>
      execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", folder])
    )
      .pipe(Effect.option)
    if (mounted._tag === "None") return undefined
    yield* Effect.addFinalizer(() => Effect.sync(() => execFileSync("umount", [folder])))
    return { folder, expected: /the file system is read-only \(EROFS\)/ }
  })

describe("an output that cannot be written", () => {
  it.live(
    "is reported as such (read-only, or permission denied), with its path, exit 1, nothing sent",
    () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory
        const readOnly = yield* readOnlyFolder(directory)
        if (readOnly === undefined) return
        const input = `${directory}/in.jsonl`
        yield* writeLines(input, ["{\"n\": 1}"])
        for (const output of [`${readOnly.folder}/out.jsonl`, `${readOnly.folder}/sub/out.jsonl`]) {
          // no server at this address: nothing may be sent before the output is found unwritable
          const result = yield* run(
            ["batch", "--project", "demo", "--pipeline", "echo", "--no-progress", "--input", input, "--output", output],
            { UBIOPS_API_TOKEN: "t", UBIOPS_API_HOST: "http://127.0.0.1:9/v2.1" }
          )
          assert.strictEqual(result.code, 1, result.printed)
          assert.match(result.printed, readOnly.expected)
          assert.include(result.printed, readOnly.folder)
          assert.notInclude(result.printed, "ENOENT")
        }
      }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)),
    30_000
  )
})
