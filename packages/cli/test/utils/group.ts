/**
 * A command run as a terminal runs it: in a process group of its own, which Ctrl-C signals as a whole.
 */
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"

export interface Group {
  readonly child: ChildProcess
  /** What it printed so far, stdout and stderr together. */
  readonly printed: () => string
  /** Sends the signal to the whole group, as a terminal's Ctrl-C does. */
  readonly signal: (signal?: NodeJS.Signals) => void
  /** The exit code (`null` when killed by a signal) and the signal. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

export const startGroup = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env?: Record<string, string> } = {}
): Group => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env }
  delete env.UBIOPS_API_TOKEN
  delete env.UBIOPS_API_HOST
  Object.assign(env, options.env)
  const child = spawn(command, args, { cwd: options.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  let printed = ""
  child.stdout!.on("data", (data) => (printed += data))
  child.stderr!.on("data", (data) => (printed += data))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal }))
  )
  return {
    child,
    printed: () => printed,
    signal: (signal = "SIGINT") => {
      try {
        process.kill(-child.pid!, signal)
      } catch {
        // the group is gone
      }
    },
    exited
  }
}

/** Kills what is left of the group (after a test). */
export const killGroup = (group: Group) => {
  try {
    process.kill(-group.child.pid!, "SIGKILL")
  } catch {
    // already gone
  }
}

/** A group started for the test's scope: what is left of it is killed when the scope ends. */
export const startScoped = (...args: Parameters<typeof startGroup>) =>
  Effect.acquireRelease(Effect.sync(() => startGroup(...args)), (group) => Effect.sync(() => killGroup(group)))
