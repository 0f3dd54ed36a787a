/**
 * Runs the command line as a process: the exit code of its outcome, its error message, and Ctrl-C (see
 * `Signals.ts`).
 *
 * @since 1.0.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.js"
import type * as Signals from "./Signals.js"

/**
 * Runs `Cli.main(argv)` and exits with its exit code.
 *
 * @since 1.0.0
 * @category running
 */
export const runMain = (argv: ReadonlyArray<string>, signals: Signals.Signals): void => {
  const isEmulator = argv[2] === "emulator"
  let jobStarted = false
  const program = Cli.main(argv).pipe(
    Effect.provideService(Cli.Hooks, {
      onProgress: (progress) => signals.onForcedQuit(() => Cli.leftBehind(progress)),
      onStart: () => {
        jobStarted = true
      }
    }),
    Effect.tapErrorCause((cause) =>
      Effect.sync(() => {
        const message = Cli.report(cause)
        if (message !== undefined) process.stderr.write(`ubiops-effect: ${message}\n`)
      })
    )
  )
  // nothing else may keep the event loop alive while the program waits on a timer-less effect
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  const fiber = Effect.runFork(program)
  signals.onFirstSignal(() => fiber.unsafeInterruptAsFork(fiber.id()))
  fiber.addObserver((exit) => {
    clearInterval(keepAlive)
    // Ctrl-C is how the emulator is meant to stop; it interrupts a batch run
    const code = Cli.exitCode(exit, { interrupted: isEmulator ? 0 : 130 })
    process.exitCode = code
    // interrupted while the command line was read or the runner loaded: the job, which reports its own, never began
    if (argv[2] === "batch" && !jobStarted && Exit.isInterrupted(exit)) {
      process.stderr.write("ubiops-effect: interrupted before it started: nothing was sent\n")
    }
    // an interrupted run may leave sockets open (a cancel that timed out): do not wait for them
    if (code !== 0 || signals.received()) process.exit(code)
    signals.dispose()
  })
}
