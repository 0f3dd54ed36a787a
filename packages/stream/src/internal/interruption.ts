/**
 * Work that must go on while a fiber is being interrupted, bounded in time. (A create in flight when a run is
 * interrupted is handled the same way by the reconciler: given a grace period to finish and tell what it made.)
 *
 * An interrupted fiber cannot run interruptible work itself: the work runs in a fiber of its own, forked into a
 * scope that `runBounded` closes before it returns, so the fiber never outlives the call.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"

/**
 * Runs `effect` to its end or for at most `timeout`, even inside a finalizer or an interrupted fiber.
 * `undefined` when the time ran out.
 */
export const runBounded = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  timeout: Duration.DurationInput
): Effect.Effect<Exit.Exit<A, E> | undefined, never, R> =>
  Effect.uninterruptible(
    Effect.scoped(
      Effect.flatMap(
        Effect.forkScoped(Effect.interruptible(Effect.timeoutOption(Effect.exit(effect), timeout))),
        (fiber) => Effect.map(Fiber.join(fiber), (result) => result._tag === "Some" ? result.value : undefined)
      )
    )
  )
