import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import { Effect, Stream } from "effect"
import type * as Scope from "effect/Scope"
import { fileURLToPath } from "node:url"

/** The `ubiops-effect` executable as a user runs it: the package's bundled bin on plain `node` (see buildBin.ts). */
export const bin = fileURLToPath(new URL("../../dist/bin/ubiops-effect.mjs", import.meta.url))

/** Where `pnpm ubiops-effect` runs that bin (the root `package.json`'s script). */
export const repositoryRoot = fileURLToPath(new URL("../../../..", import.meta.url))

export interface Running {
  readonly process: CommandExecutor.Process
  /** What it printed so far, stdout and stderr together. */
  readonly printed: () => string
}

/**
 * Starts `ubiops-effect ...args` as a child process with only the given UbiOps variables (and `node` flags before
 * the bin, if any); it is killed when the scope closes if it still runs.
 */
export const start = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  nodeFlags: ReadonlyArray<string> = []
): Effect.Effect<Running, never, CommandExecutor.CommandExecutor | Scope.Scope> =>
  Effect.gen(function*() {
    const command = Command.make(process.execPath, ...nodeFlags, bin, ...args).pipe(
      Command.env({ UBIOPS_API_TOKEN: undefined, UBIOPS_API_HOST: undefined, ...env })
    )
    const child = yield* Effect.orDie(Command.start(command))
    let printed = ""
    const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
      stream.pipe(
        Stream.decodeText(),
        Stream.runForEach((text) => Effect.sync(() => (printed += text))),
        Effect.ignore,
        Effect.forkScoped
      )
    yield* collect(child.stdout)
    yield* collect(child.stderr)
    return { process: child, printed: () => printed }
  })

/** Runs `ubiops-effect ...args` to its end: its exit code and what it printed. */
export const run = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  nodeFlags: ReadonlyArray<string> = []
) =>
  Effect.scoped(Effect.gen(function*() {
    const running = yield* start(args, env, nodeFlags)
    const code = yield* Effect.orDie(running.process.exitCode)
    // let the collectors take in the last output
    yield* Effect.sleep("50 millis")
    return { code, printed: running.printed() }
  }))
