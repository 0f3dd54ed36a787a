/**
 * What a run is waiting for, when it waits, so that the progress line can say "retrying: could not connect
 * (ECONNREFUSED)" or "waiting for the rate-limit window (12 s)" instead of standing still: the client tells of each
 * retry and why (its `onRetry`, in core's words), and a wrapper of its `HttpClient` (its `transformClient`) sees each
 * HTTP attempt in flight, whether it was answered, and what the server said of its rate window.
 *
 * @since 1.0.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as RetryPolicy from "@ubiops-effect/core/RetryPolicy"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/**
 * @since 1.0.0
 * @category models
 */
export interface Waiting {
  /** The `transformClient` of the run's `PipelineRequests` layer. */
  readonly observeClient: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  /** The `onRetry` of the run's `PipelineRequests` layer. */
  readonly onRetry: (event: RetryPolicy.RetryEvent) => Effect.Effect<void>
  /** What the run waits for at `now` (epoch milliseconds), if it waits for something worth saying. */
  readonly describe: (now: number) => string | undefined
}

const seconds = (millis: number) => `${Math.max(1, Math.round(millis / 1000))} s`

/**
 * @since 1.0.0
 * @category constructors
 */
export const make = (): Waiting => {
  let attempts = 0
  let attemptStartedAt = 0
  /** The retries since the last answer below 400, and why the last one was made. */
  let failedInARow = 0
  let lastFailure = ""
  /** When the server's rate window reopens, once it said that none is left (0 remaining, or a 429). */
  let windowReopensAt = 0

  const onAnswer = (response: HttpClientResponse.HttpClientResponse, now: number) => {
    const remaining = response.headers["x-ratelimit-remaining"]
    const reset = Number(response.headers["x-ratelimit-reset"] ?? response.headers["retry-after"])
    if ((remaining === "0" || response.status === 429) && Number.isFinite(reset)) {
      windowReopensAt = now + reset * 1000
    }
    if (response.status < 400) failedInARow = 0
  }

  const onExit = (exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>) => {
    if (Exit.isSuccess(exit)) onAnswer(exit.value, Date.now())
  }

  const onRetry = (event: RetryPolicy.RetryEvent) =>
    Effect.sync(() => {
      failedInARow++
      lastFailure = event.reason
    })

  const observeClient = (client: HttpClient.HttpClient) =>
    HttpClient.transform(client, (response) =>
      Effect.suspend(() => {
        attempts++
        attemptStartedAt = Date.now()
        return Effect.onExit(response, (exit) =>
          Effect.sync(() => {
            attempts--
            onExit(exit)
          }))
      }))

  const describe = (now: number): string | undefined => {
    if (attempts > 0) {
      const waited = now - attemptStartedAt
      return waited >= 5_000 ? `waiting for the server's answer (${seconds(waited)})` : undefined
    }
    if (now < windowReopensAt) return `waiting for the rate-limit window (${seconds(windowReopensAt - now)})`
    if (failedInARow === 0) return undefined
    return `retrying: ${lastFailure}${failedInARow === 1 ? "" : ` (${failedInARow} tries)`}`
  }

  return { observeClient, onRetry, describe }
}

/**
 * @since 1.0.0
 * @category constants
 */
export const reportDefaults = {
  /** How often it looks at what the run waits for. */
  check: Duration.seconds(1),
  /** While the run waits for the same thing, it says so again this often. */
  repeat: Duration.seconds(10)
} as const

/**
 * Says with `log` what the run waits for, for a run that draws no progress line: as soon as it starts waiting (the
 * first call cannot connect, the server does not answer), when the reason changes, and again every `repeat` while
 * it lasts. Runs until interrupted.
 *
 * @since 1.0.0
 * @category constructors
 */
export const report = (
  waiting: Waiting,
  log: (message: string) => Effect.Effect<void>,
  options?: { readonly check?: Duration.DurationInput; readonly repeat?: Duration.DurationInput }
): Effect.Effect<never> => {
  const repeatMillis = Duration.toMillis(options?.repeat ?? reportDefaults.repeat)
  /** What it waits for, without the counts and seconds that change on each look. */
  const kindOf = (description: string) => description.replace(/\s*\([^)]*\)/g, "")
  let said: string | undefined
  let saidAt = 0
  const look = Effect.suspend(() => {
    const now = Date.now()
    const description = waiting.describe(now)
    if (description === undefined) return Effect.void
    const kind = kindOf(description)
    if (kind === said && now - saidAt < repeatMillis) return Effect.void
    said = kind
    saidAt = now
    return log(`waiting: ${description}`)
  })
  return Effect.forever(Effect.zipRight(look, Effect.sleep(options?.check ?? reportDefaults.check)))
}
