/**
 * Two ways to keep working while a fiber is being interrupted, both bounded in time.
 *
 * The work runs in a daemon fiber: an interrupted fiber passes the interruption on to its children at once,
 * and this work must outlive the interruption for a while.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"

/**
 * Runs `effect` and then `andThen` on its value. If the fiber is interrupted while `effect` runs, `effect` is
 * still given up to `grace` to finish (then it is interrupted), and `andThen` still runs on its value, before
 * the interruption goes on. This is how a create whose response is on its way gets its ids registered, so that
 * they can be cancelled. `onGivenUp` receives the exit of an `effect` that did not succeed after the
 * interruption (it failed, or it was interrupted when the grace period ran out).
 */
export const finishOnInterrupt = <A, E, R, B, E2, R2>(
  effect: Effect.Effect<A, E, R>,
  grace: Duration.DurationInput,
  andThen: (a: A) => Effect.Effect<B, E2, R2>,
  onGivenUp: (exit: Exit.Exit<A, E>) => Effect.Effect<void>
): Effect.Effect<B, E | E2, R | R2> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkDaemon(Effect.interruptible(effect))
      const awaited = yield* Effect.exit(restore(Fiber.await(fiber)))
      if (Exit.isSuccess(awaited)) {
        const exit = awaited.value
        if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
        return yield* andThen(exit.value)
      }
      // this fiber is being interrupted: let the effect finish, within the grace period
      const timer = yield* Effect.forkDaemon(
        Effect.interruptible(Effect.zipRight(Effect.sleep(grace), Fiber.interrupt(fiber)))
      )
      const late = yield* Fiber.await(fiber)
      yield* Fiber.interrupt(timer)
      if (Exit.isSuccess(late)) {
        yield* Effect.exit(andThen(late.value))
      } else {
        yield* onGivenUp(late)
      }
      return yield* Effect.failCause(awaited.cause)
    })
  )

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
