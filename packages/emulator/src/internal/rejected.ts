/**
 * The engine's one error: a call it refuses (published as `Engine.RequestRejected`).
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"

export class RequestRejected extends Data.TaggedError("RequestRejected")<{
  readonly status: 400 | 404
  readonly message: string
}> {}

export const rejected = (status: 400 | 404, message: string): Either.Either<never, RequestRejected> =>
  Either.left(new RequestRejected({ status, message }))
