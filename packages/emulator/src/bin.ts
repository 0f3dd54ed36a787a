/**
 * `pnpm emulator`: see `Command.ts`.
 *
 * @since 1.0.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Command from "./Command.js"

const args = Command.parse(process.argv.slice(2))
if (Either.isLeft(args)) {
  console.error(`${args.left.reason}\n\n${Command.usage}`)
  process.exit(2)
}

NodeRuntime.runMain(
  Command.run(args.right).pipe(
    Effect.tapError((error) => Effect.sync(() => console.error(`ubiops emulator: ${error.message}`)))
  ),
  { disableErrorReporting: true }
)
