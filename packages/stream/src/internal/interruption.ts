/**
 * Work that must go on while a fiber is being interrupted, bounded in time. (A create in flight when a run is
 * interrupted is handled the same way by `Reconciliation`: given a grace period to finish and tell what it made.)
 *
 * The work runs in a daemon fiber: an interrupted fiber passes the interruption on to its children at once,
 * and this work must outlive the interruption for a while.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"

/**
 * Runs `effect` to its end or for at most `timeout`, even inside a finalizer or an interrupted fiber: the work
 * runs in a fiber of its own that can be interrupted when the time is up. `None` when the time ran out.
 */
export const runBounded = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  timeout: Duration.DurationInput
): Effect.Effect<Exit.Exit<A, E> | undefined, never, R> =>
  Effect.uninterruptible(
    Effect.flatMap(
      Effect.forkDaemon(Effect.interruptible(Effect.timeoutOption(Effect.exit(effect), timeout))),
      (fiber) => Effect.map(Fiber.join(fiber), (result) => result._tag === "Some" ? result.value : undefined)
    )
  )
