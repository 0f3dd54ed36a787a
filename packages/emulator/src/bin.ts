/**
 * `pnpm emulator`: see `Command.ts`. Exit code 0 when stopped with Ctrl-C, 2 for a command line that is not valid,
 * 1 when the server cannot start.
 *
 * @since 1.0.0
 */
import * as CliCommand from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Command from "./Command.js"

const ansiCodes = /\u001b\[[0-9;]*[A-Za-z]/g
const colour = process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""

/** `@effect/cli` writes its help in colour: not where no one sees colour. */
const withoutColour = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  colour ? effect : Console.consoleWith((console) =>
    Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...args.map((arg) => typeof arg === "string" ? arg.replace(ansiCodes, "") : arg)),
      error: (...args) =>
        console.error(...args.map((arg) => typeof arg === "string" ? arg.replace(ansiCodes, "") : arg))
    })
  )

const cli = CliCommand.run(Command.command, { name: "pnpm emulator", version: "0.1.0" })

NodeRuntime.runMain(
  cli(process.argv).pipe(
    withoutColour,
    Effect.provide(NodeContext.layer),
    Effect.tapError((error) =>
      ValidationError.isValidationError(error)
        ? Effect.void
        : Effect.sync(() => console.error(`ubiops emulator: ${error.message}`))
    )
  ),
  {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return onExit(0)
      const failure = Cause.failureOption(exit.cause)
      onExit(Option.isSome(failure) && ValidationError.isValidationError(failure.value) ? 2 : 1)
    }
  }
)
