/**
 * `--help` as a user reads it, from the executable with its output in a pipe (not a terminal).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { run } from "./utils/cli.js"

describe("--help", () => {
  it.live(
    "lists every subcommand, one --version, and no colour codes outside a terminal",
    () =>
      Effect.gen(function*() {
        const root = yield* run(["--help"])
        assert.strictEqual(root.code, 0)
        assert.include(root.printed, "- batch ")
        assert.include(root.printed, "- emulator ")
        assert.notInclude(root.printed, "\u001b[")

        const batch = yield* run(["batch", "--help"])
        assert.strictEqual(batch.code, 0)
        assert.notInclude(batch.printed, "\u001b[")
        assert.strictEqual(batch.printed.match(/^--version\b/gm)?.length, 1, "the command's own --version only")
        assert.include(batch.printed, "--pipeline-version text")
        for (
          const shown of ["Default: 4.", "Default: 10,000.", "Default: structured.", "Default: fail.", "Default: off"]
        ) {
          assert.include(batch.printed, shown)
        }
      }).pipe(Effect.provide(NodeContext.layer)),
    60_000
  )

  it.live(
    "the emulator's options, with their defaults, parsed by the same library as batch's",
    () =>
      Effect.gen(function*() {
        const help = yield* run(["emulator", "--help"])
        assert.strictEqual(help.code, 0)
        assert.notInclude(help.printed, "\u001b[")
        assert.include(help.printed, "Default: 8080.")
        assert.include(help.printed, "Default: 127.0.0.1.")

        const wrong = yield* run(["emulator", "--port", "x"])
        assert.strictEqual(wrong.code, 2)
        assert.include(wrong.printed, "--port must be an integer of at least 0")
      }).pipe(Effect.provide(NodeContext.layer)),
    60_000
  )
})
