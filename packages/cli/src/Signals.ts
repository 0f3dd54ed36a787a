/**
 * Ctrl-C as a terminal delivers it: SIGINT to the whole foreground process group, so the command gets it from the
 * terminal and often once more from a parent that relays it (a package manager, a TypeScript loader). The first
 * signal starts a graceful stop (the run cancels its requests on the server); copies that arrive within
 * `graceMillis` of it are the same Ctrl-C and are ignored; a signal after that is a deliberate second Ctrl-C and
 * quits at once, saying what it leaves behind. A signal that arrives before the command is ready to stop
 * gracefully (while it loads) ends the process at once: nothing was sent yet.
 *
 * This module imports nothing, so that the executable can install it before it loads the rest.
 *
 * @since 1.0.0
 */

/**
 * @since 1.0.0
 * @category models
 */
export interface Signals {
  /** From now on, the first signal calls `interrupt` instead of ending the process. */
  readonly onFirstSignal: (interrupt: () => void) => void
  /** What a forced quit leaves behind, said when it happens (e.g. "120 requests may still run ..."). */
  readonly onForcedQuit: (leftBehind: () => string | undefined) => void
  /** Whether a signal was received. */
  readonly received: () => boolean
  /** Stops listening (the process's default behaviour comes back). */
  readonly dispose: () => void
}

/**
 * @since 1.0.0
 * @category models
 */
export interface Options {
  /** Signals within this time of the first are copies of it (default 1,500 ms). */
  readonly graceMillis?: number | undefined
  /** The exit code of a forced quit or a signal before the command is ready (default 130). */
  readonly exitCode?: number | undefined
  readonly write?: ((text: string) => void) | undefined
  /** The program's name, at the start of its messages. */
  readonly name?: string | undefined
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = { graceMillis: 1_500, exitCode: 130 } as const

const handled = ["SIGINT", "SIGTERM"] as const

/**
 * Listens to SIGINT and SIGTERM.
 *
 * @since 1.0.0
 * @category constructors
 */
export const install = (options?: Options): Signals => {
  const graceMillis = options?.graceMillis ?? defaults.graceMillis
  const exitCode = options?.exitCode ?? defaults.exitCode
  const write = options?.write ?? ((text: string) => process.stderr.write(text))
  const name = options?.name ?? "ubiops-effect"
  let interrupt: (() => void) | undefined
  let leftBehind: () => string | undefined = () => undefined
  let firstAt: number | undefined

  const quit = (message: string) => {
    write(`\n${name}: ${message}\n`)
    process.exit(exitCode)
  }
  const onSignal = () => {
    const now = Date.now()
    if (firstAt === undefined) {
      firstAt = now
      if (interrupt === undefined) return quit("interrupted before it started: nothing was sent")
      return interrupt()
    }
    if (now - firstAt < graceMillis) return
    const left = leftBehind()
    quit(`quit at once (second Ctrl-C)${left === undefined ? "" : `: ${left}`}`)
  }
  for (const signal of handled) process.on(signal, onSignal)

  return {
    onFirstSignal: (f) => {
      interrupt = f
    },
    onForcedQuit: (f) => {
      leftBehind = f
    },
    received: () => firstAt !== undefined,
    dispose: () => {
      for (const signal of handled) process.removeListener(signal, onSignal)
    }
  }
}
