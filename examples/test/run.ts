import { Command, type CommandExecutor } from "@effect/platform"
import { Effect, Stream } from "effect"
import type * as Scope from "effect/Scope"
import { fileURLToPath } from "node:url"

const examples = fileURLToPath(new URL("..", import.meta.url))

export interface Running {
  readonly process: CommandExecutor.Process
  readonly stdout: () => string
  readonly stderr: () => string
}

/** Starts `tsx examples/<name>.ts` as a user would, with no UbiOps variables: against the embedded emulator. */
export const start = (name: string): Effect.Effect<Running, never, CommandExecutor.CommandExecutor | Scope.Scope> =>
  Effect.gen(function*() {
    const command = Command.make(process.execPath, "--import", "tsx", `${name}.ts`).pipe(
      Command.workingDirectory(examples),
      Command.env({ UBIOPS_API_TOKEN: undefined, UBIOPS_API_HOST: undefined, UBIOPS_PROJECT: undefined })
    )
    const child = yield* Effect.orDie(Command.start(command))
    const printed = { stdout: "", stderr: "" }
    const collect = (stream: Stream.Stream<Uint8Array, unknown>, into: "stdout" | "stderr") =>
      stream.pipe(
        Stream.decodeText(),
        Stream.runForEach((text) => Effect.sync(() => (printed[into] += text))),
        Effect.ignore,
        Effect.forkScoped
      )
    yield* collect(child.stdout, "stdout")
    yield* collect(child.stderr, "stderr")
    return { process: child, stdout: () => printed.stdout, stderr: () => printed.stderr }
  })

/** Runs an example to its end. */
export const run = (name: string) =>
  Effect.scoped(Effect.gen(function*() {
    const running = yield* start(name)
    const code = yield* Effect.orDie(running.process.exitCode)
    yield* Effect.sleep("50 millis")
    return { code, stdout: running.stdout(), stderr: running.stderr() }
  }))
