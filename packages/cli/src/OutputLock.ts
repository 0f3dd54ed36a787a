/**
 * One batch job at a time on an output: a lock file in its checkpoint folder, created exclusively, holding the
 * process id and host of the run that holds it, and removed when the run ends. A second run on the same output is
 * refused while the first one lives; a lock left by a run that died (killed, a power cut) does not block: its
 * process is gone, so the next run takes the lock over.
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { hostname } from "node:os"
import { OutputConflict } from "./internal/errors.js"

interface Holder {
  readonly pid: number
  readonly host: string
  readonly startedAt: string
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  /** A lock file without a readable holder (its run died as it created it) counts as stale after this long. */
  unreadableStaleMillis: 10_000
} as const

/** The locks this process holds (a lock with this process's id that is not among them is from a dead process whose
 * id was reused). */
const heldHere = new Set<string>()

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, as another user's process
    return (error as { code?: unknown }).code === "EPERM"
  }
}

const parseHolder = (text: string): Holder | undefined => {
  try {
    const holder = JSON.parse(text) as Partial<Holder>
    return typeof holder.pid === "number" && typeof holder.host === "string" && typeof holder.startedAt === "string"
      ? holder as Holder
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Takes the lock of `output` (in `checkpointDirectory`, created if needed) for the scope, or fails with an
 * `OutputConflict` that says which run holds it.
 *
 * @since 1.0.0
 * @category constructors
 */
export const acquire = (
  output: string,
  checkpointDirectory: string
): Effect.Effect<void, OutputConflict | PlatformError, FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const lockPath = path.resolve(checkpointDirectory, "lock")
    const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }
    const mine = JSON.stringify(me)
    // one folder at a time: a recursive make reports a read-only file system as ENOENT
    const missing: Array<string> = []
    for (let folder = path.resolve(checkpointDirectory); !(yield* fs.exists(folder)); folder = path.dirname(folder)) {
      missing.unshift(folder)
      if (path.dirname(folder) === folder) break
    }
    for (const folder of missing) {
      yield* fs.makeDirectory(folder).pipe(
        Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "AlreadyExists", () => Effect.void)
      )
    }

    const create = fs.writeFileString(lockPath, mine, { flag: "wx" }).pipe(
      Effect.as(true),
      Effect.catchIf(
        (error) => error._tag === "SystemError" && error.reason === "AlreadyExists",
        () => Effect.succeed(false)
      )
    )
    /** The lock there now when it was left by a run that is gone (its text); fails when a live run holds it. */
    const stale = Effect.gen(function*() {
      const text = yield* Effect.orElseSucceed(fs.readFileString(lockPath), () => "")
      const holder = parseHolder(text)
      if (holder === undefined) {
        const modified = yield* Effect.map(
          Effect.option(fs.stat(lockPath)),
          (info) => info._tag === "Some" ? info.value.mtime._tag === "Some" ? info.value.mtime.value.getTime() : 0 : 0
        )
        if (Date.now() - modified >= defaults.unreadableStaleMillis) return text
        return yield* new OutputConflict({
          reason: `${output} is being written by another run that is just starting (${lockPath}): run one at a time`
        })
      }
      // its process is gone, or its id is now this process's (ids are reused) and this process does not hold it
      const gone = holder.pid === me.pid ? !heldHere.has(lockPath) : !isAlive(holder.pid)
      if (holder.host === me.host && gone) return text
      return yield* new OutputConflict({
        reason: `${output} is being written by another run (process ${holder.pid} on ${holder.host}, started ` +
          `${holder.startedAt}): wait for it to end, or stop it, then run with --resume. If that run is gone (on ` +
          `another host), remove ${lockPath}.`
      })
    })

    /** Moves a stale lock aside, atomically: of two runs taking it over at once, one moves it, the other nothing;
     * a fresh lock moved by mistake (taken over between the reading and the move) is put back. */
    const takeOver = (staleText: string) =>
      Effect.gen(function*() {
        const aside = `${lockPath}.stale-${process.pid}`
        const moved = yield* Effect.isSuccess(fs.rename(lockPath, aside))
        if (!moved) return
        const text = yield* Effect.orElseSucceed(fs.readFileString(aside), () => "")
        yield* Effect.ignore(text === staleText ? fs.remove(aside) : fs.rename(aside, lockPath))
      })

    let taken = yield* create
    if (!taken) {
      yield* takeOver(yield* stale)
      taken = yield* create
    }
    if (!taken) {
      return yield* new OutputConflict({
        reason: `${output} is being written by another run that has just started (${lockPath}): run one at a time`
      })
    }
    heldHere.add(lockPath)
    yield* Effect.addFinalizer(() => Effect.sync(() => heldHere.delete(lockPath)))
    yield* Effect.addFinalizer(() =>
      fs.readFileString(lockPath).pipe(
        Effect.flatMap((text) => text === mine ? fs.remove(lockPath) : Effect.void),
        Effect.ignore
      )
    )
  })
