/**
 * The `ubiops-effect` executable: see `Cli.ts`.
 *
 * @since 1.0.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Cli from "./Cli.js"

NodeRuntime.runMain(
  Cli.main(process.argv).pipe(
    Effect.tapErrorCause((cause) =>
      Effect.sync(() => {
        const message = Cli.report(cause)
        if (message !== undefined) process.stderr.write(`ubiops-effect: ${message}\n`)
      })
    )
  ),
  {
    disableErrorReporting: true,
    // Ctrl-C is how the emulator is meant to stop; it interrupts a batch run
    teardown: (exit, onExit) => onExit(Cli.exitCode(exit, { interrupted: process.argv[2] === "emulator" ? 0 : 130 }))
  }
)
