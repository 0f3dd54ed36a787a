/**
 * Validation of the options of the stream package. Every entry point fails the same way on an invalid option:
 * with core's `InvalidRequest` in its error channel, before anything is sent, naming the option.
 */
import { InvalidRequest } from "@ubiops-effect/core/UbiOpsError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as PollSchedule from "../PollSchedule.js"

const invalid = (operation: string, reason: string) => Effect.fail(new InvalidRequest({ operation, reason }))

/** `value` when it is an integer from `min` to `max`. */
export const integer = (
  operation: string,
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER
): Effect.Effect<number, InvalidRequest> =>
  Number.isInteger(value) && value >= min && value <= max
    ? Effect.succeed(value)
    : invalid(
      operation,
      `${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? "" : ` to ${max}`}, got ${value}`
    )

/** The poll schedule's options in milliseconds. */
export const schedule = (
  operation: string,
  options: Partial<PollSchedule.Options> | undefined
): Effect.Effect<PollSchedule.Resolved, InvalidRequest> =>
  Either.match(PollSchedule.validate(options), {
    onLeft: (error) => invalid(operation, `schedule: ${error.reason}`),
    onRight: Effect.succeed
  })

/** Fails when `ok` does not hold. */
export const check = (operation: string, ok: boolean, reason: () => string): Effect.Effect<void, InvalidRequest> =>
  ok ? Effect.void : invalid(operation, reason())
