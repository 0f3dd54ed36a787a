/**
 * The client's and the calls' options, checked. An invalid option fails in one way: the calls that would use it
 * fail with `InvalidRequest` naming the option, before anything is sent; nothing is thrown.
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ApiHost from "../ApiHost.js"
import type { ClientOptions, defaults as clientDefaults } from "../PipelineRequests.js"
import type { RetryPolicy } from "../RetryPolicy.js"

const duration = (name: string, input: Duration.DurationInput): Either.Either<Duration.Duration, string> =>
  Option.match(Duration.decodeUnknown(input), {
    onNone: () => Either.left(`${name} must be a duration, got ${String(input)}`),
    onSome: Either.right
  })

/** A duration option: the decoded value, or what is wrong with it. */
export const checkDuration = duration

/** A retry policy whose every field makes sense. */
export const checkRetry = (retry: RetryPolicy): Either.Either<RetryPolicy, string> => {
  if (!Number.isInteger(retry.maxRetries) || retry.maxRetries < 0) {
    return Either.left(`retry.maxRetries must be a non-negative integer, got ${retry.maxRetries}`)
  }
  if (!Number.isFinite(retry.factor) || retry.factor < 1) {
    return Either.left(`retry.factor must be a number of at least 1, got ${retry.factor}`)
  }
  for (const [name, input] of [["baseDelay", retry.baseDelay], ["maxDelay", retry.maxDelay]] as const) {
    const checked = duration(`retry.${name}`, input)
    if (Either.isLeft(checked)) return Either.left(checked.left)
  }
  const maxRateLimitWait = duration("retry.maxRateLimitWait", retry.maxRateLimitWait)
  if (Either.isLeft(maxRateLimitWait)) return Either.left(maxRateLimitWait.left)
  return Either.right(retry)
}

/** A positive integer option (a byte size, a capacity). */
export const checkPositiveInteger = (name: string, value: number): Either.Either<number, string> =>
  Number.isInteger(value) && value > 0
    ? Either.right(value)
    : Either.left(`${name} must be a positive integer, got ${value}`)

/** An API root the client can send to (see `ApiHost.validateHost`). */
export const checkHost = (host: string | undefined): Either.Either<string, string> => ApiHost.validateHost(host)

/** A token a header can carry (see `ApiHost.validateToken`). */
export const checkToken = ApiHost.validateToken

/** The client's options with their defaults, checked; where one is invalid, the defaults and what is wrong. */
export const checkClientOptions = (options: ClientOptions, defaults: typeof clientDefaults) => {
  const checked = Either.all({
    retry: checkRetry({ ...defaults.retry, ...options.retry }),
    attemptTimeout: checkDuration("attemptTimeout", options.attemptTimeout ?? defaults.attemptTimeout),
    callTimeout: checkDuration("callTimeout", options.callTimeout ?? defaults.callTimeout),
    capacity: checkPositiveInteger(
      "retryBudget.capacity",
      (options.retryBudget || undefined)?.capacity ?? defaults.retryBudgetCapacity
    ),
    maxPayloadBytes: checkPositiveInteger("maxPayloadBytes", options.maxPayloadBytes ?? defaults.maxPayloadBytes),
    maxResponseBytes: checkPositiveInteger("maxResponseBytes", options.maxResponseBytes ?? defaults.maxResponseBytes),
    baseUrl: checkHost(options.host),
    token: checkToken(options.token)
  })
  const valid = Either.getOrElse(checked, () => ({
    retry: defaults.retry,
    attemptTimeout: Duration.decode(defaults.attemptTimeout),
    callTimeout: Duration.decode(defaults.callTimeout),
    capacity: defaults.retryBudgetCapacity,
    maxPayloadBytes: defaults.maxPayloadBytes,
    maxResponseBytes: defaults.maxResponseBytes,
    baseUrl: ApiHost.normalizeHost(undefined),
    token: options.token
  }))
  const invalid = Either.isLeft(checked) ? `invalid client option: ${checked.left}` : undefined
  return { valid, invalid }
}
