/**
 * The one call policy of the HTTP client. Every operation, the streaming one included, is validated and encoded,
 * sent in a slot of the rate governor with a per-attempt deadline, turned into a typed error when it fails, and
 * retried by `RetryPolicy.isRetryable` within the shared retry budget and the whole call's deadline. A 429 that
 * orders a wait (`x-ratelimit-reset`, else `Retry-After`) is not a failure to retry but queueing: the call, and
 * through the governor every call of the client, waits for it plus `rateLimitMarginMillis`, outside the deadlines,
 * the retry count and the budget, unless the wait is longer than `maxRateLimitWait`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type { PipelineTarget } from "../PipelineRequests.js"
import type { OperationId } from "../PipelineRequestsApi.js"
import type { Reply } from "../PipelineRequestsBackend.js"
import * as RateGovernor from "../RateGovernor.js"
import type { RetryBudget } from "../RetryBudget.js"
import * as RetryPolicy from "../RetryPolicy.js"
import { type CallError, DecodeError, InvalidRequest, RateLimited, Timeout } from "../UbiOpsError.js"
import * as BoundedBody from "./boundedBody.js"
import {
  codec,
  type DecodeErrorOf,
  type EncodedRequest,
  type EndpointCodec,
  type RequestOf,
  type SuccessOf
} from "./endpoints.js"
import * as Redaction from "./redaction.js"
import { statusError, transportError, type Where } from "./responses.js"
import { traced } from "./tracing.js"

/** Added to every wait a 429 orders (`x-ratelimit-reset` or `Retry-After`), as the official client does: the
 * server rounds its reset down, so the window may reopen up to a second after it says. */
export const rateLimitMarginMillis = 1000

export interface CallerSettings {
  /** The normalised API root, e.g. `https://api.ubiops.com/v2.1`. */
  readonly baseUrl: string
  readonly authorization: Redacted.Redacted<string>
  readonly userAgent: string
  readonly retry: RetryPolicy.RetryPolicy
  readonly attemptTimeout: Duration.Duration
  readonly callTimeout: Duration.Duration
  readonly budget: RetryBudget
  readonly governor: RateGovernor.RateGovernor
  readonly maxPayloadBytes: number
  /** Whether requests are checked against the reference's limits before sending (else only kept well-formed). */
  readonly clientSideValidation: boolean
  /** The most bytes of a response body the client reads. */
  readonly maxResponseBytes: number
  /** Told of every retry before its backoff. */
  readonly onRetry?: ((event: RetryPolicy.RetryEvent) => Effect.Effect<void>) | undefined
}

/** Per-call overrides, already resolved against the client's settings. */
export interface CallPolicy {
  readonly retry: RetryPolicy.RetryPolicy
  readonly attemptTimeout: Duration.Duration
  readonly callTimeout: Duration.Duration
}

/** A decoded response with its status and headers (the backend's, see `PipelineRequestsBackend`). */
export type { Reply }

export interface Caller {
  readonly settings: CallerSettings
  /** Takes the token out of an error (see `redaction.ts`); every error of `call` and `open` has been through it. */
  readonly redact: <E>(error: E) => E
  /** Runs one operation with its retries and deadlines, and decodes its response. */
  readonly call: <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    target: PipelineTarget,
    policy: CallPolicy
  ) => Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeErrorOf<Op, DecodeError>>
  /** Runs one operation with the same retries and deadlines up to its response's headers, and hands back the open
   * response (a 2xx) for its body to be read as a stream. */
  readonly open: <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    target: PipelineTarget,
    policy: CallPolicy
  ) => Effect.Effect<Reply<HttpClientResponse.HttpClientResponse>, CallError>
}

/** Whether a text's UTF-8 encoding is longer than `max` bytes, without encoding it. */
const longerThan = (text: string, max: number): boolean => {
  if (text.length * 3 <= max) return false
  if (text.length > max) return true
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // a surrogate pair is 4 bytes: 2 for each half
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code < 0xe000) ? 2 : 3
  }
  return bytes > max
}

/**
 * Redirects are not followed: the token must not travel to another origin, and the API does not redirect.
 * Transports built on `fetch` follow redirects unless told otherwise; this tells them, keeping any other
 * `RequestInit` the application set.
 */
const withoutRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    Effect.serviceOption(FetchHttpClient.RequestInit),
    (init) =>
      Effect.provideService(effect, FetchHttpClient.RequestInit, {
        ...Option.getOrUndefined(init),
        redirect: "manual"
      })
  )

/** What an attempt read: the response, and its whole body unless the body is left open as a stream or is longer
 * than `maxResponseBytes` (`tooLarge`: not read on). */
interface Received {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly body: string | ArrayBuffer | undefined
  readonly tooLarge?: boolean
}

/** How an attempt reads its response: the whole body, or (streaming) only the headers of a success. */
type ReadMode = EndpointCodec["responseKind"] | "Stream"

const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  mode: ReadMode,
  maxBytes: number
): Effect.Effect<Received, HttpClientError.ResponseError> => {
  const ok = response.status >= 200 && response.status < 300
  if (mode === "Stream" && ok) return Effect.succeed({ response, body: undefined })
  return Effect.map(
    BoundedBody.read(response, mode === "Bytes" && ok ? "Bytes" : "Text", maxBytes),
    (body): Received =>
      body._tag === "Read" ? { response, body: body.value } : { response, body: undefined, tooLarge: true }
  )
}

const replyOf = <A>(where: Where, response: HttpClientResponse.HttpClientResponse, value: A): Reply<A> => ({
  value,
  status: response.status,
  headers: response.headers,
  method: where.method,
  path: where.path
})

export const make = (httpClient: HttpClient.HttpClient, settings: CallerSettings): Caller => {
  const client = HttpClient.withTracerDisabledWhen(httpClient, () => true).pipe(
    HttpClient.transformResponse(withoutRedirects)
  )
  const authorization = Redacted.value(settings.authorization)
  const redactor = Redaction.make(settings.authorization)
  const rootPath = new URL(settings.baseUrl).pathname.replace(/\/$/, "")

  const encode = (
    endpoint: EndpointCodec,
    request: RequestOf<OperationId>
  ): Either.Either<EncodedRequest, InvalidRequest> => {
    const encoded = settings.clientSideValidation ? endpoint.encode(request) : endpoint.encodeUnchecked(request)
    if (Either.isLeft(encoded)) {
      return Either.left(new InvalidRequest({ operation: endpoint.operation, reason: encoded.left }))
    }
    const body = encoded.right.body
    if (body !== undefined && longerThan(body.text, settings.maxPayloadBytes)) {
      return Either.left(
        new InvalidRequest({
          operation: endpoint.operation,
          reason: `the body is larger than ${settings.maxPayloadBytes} bytes (maxPayloadBytes)`
        })
      )
    }
    return Either.right(encoded.right)
  }

  const toHttpRequest = (encoded: EncodedRequest, accept: string) => {
    let request = HttpClientRequest.make(encoded.method)(settings.baseUrl + encoded.path, {
      urlParams: encoded.urlParams,
      headers: { authorization, "user-agent": settings.userAgent, accept }
    })
    if (encoded.body !== undefined) {
      request = HttpClientRequest.setBody(request, HttpBody.text(encoded.body.text, encoded.body.contentType))
    }
    return request
  }

  /** Sends one request and reads its response, within `limitMillis`: the attempt's deadline, or what is left
   * of the call's when that comes first. */
  const send = (
    where: Where,
    request: HttpClientRequest.HttpClientRequest,
    mode: ReadMode,
    limitMillis: number,
    onTimeout: () => Timeout
  ) =>
    client.execute(request).pipe(
      Effect.flatMap((response) => readBody(response, mode, settings.maxResponseBytes)),
      Effect.catchAll((error) => Effect.fail(transportError(where, error))),
      Effect.timeoutFail({ duration: Duration.millis(limitMillis), onTimeout })
    )

  /** Takes a slot of the server's rate window; a window that reopens later than the policy allows to wait is a
   * `RateLimited` failure now, carrying the wait. */
  const acquireSlot = (where: Where, maxWait: Duration.Duration): Effect.Effect<void, RateLimited> =>
    Effect.catchTag(settings.governor.acquire(maxWait), "WindowClosed", (closed) =>
      Effect.fail(
        new RateLimited({
          ...where,
          status: 429,
          serverMessage: `not sent: the server's rate-limit window reopens in ${Math.ceil(closed.waitMillis / 1000)} s`,
          retryAfterMillis: closed.waitMillis
        })
      ))

  /** Runs `use` in a slot of the rate window taken by `acquire`, and gives the slot back with what the
   * response said about the window. */
  const governed = <E>(acquire: Effect.Effect<void, RateLimited>, use: Effect.Effect<Received, E>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(acquire), () =>
        Effect.matchCauseEffect(restore(use), {
          onFailure: (cause) => Effect.zipRight(settings.governor.release(undefined), Effect.failCause(cause)),
          onSuccess: (reply) =>
            Effect.as(settings.governor.release(RateGovernor.parseHeaders(reply.response.headers)), reply)
        }))
    )

  /** One operation under the call policy; `mode` says how its response is read, `finish` makes the result of a
   * 2xx. */
  const run = <A>(
    operation: OperationId,
    request: RequestOf<OperationId>,
    target: PipelineTarget,
    policy: CallPolicy,
    mode: ReadMode,
    finish: (where: Where, endpoint: EndpointCodec, received: Received) => Effect.Effect<A, DecodeError>
  ): Effect.Effect<A, CallError | DecodeError> => {
    const endpoint = codec(operation)
    const idempotent = !endpoint.isCreate
    const span = traced(operation, "client", {
      "ubiops.operation": operation,
      "ubiops.project": target.project,
      "ubiops.pipeline": target.pipeline,
      "ubiops.version": target.version ?? "(default)"
    })
    return Effect.suspend(() => {
      const encoded = encode(endpoint, request)
      if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
      const where: Where = { operation, method: encoded.right.method, path: rootPath + encoded.right.path }
      const httpRequest = toHttpRequest(encoded.right, mode === "Stream" ? "text/event-stream" : "application/json")
      const callMillis = Duration.toMillis(policy.callTimeout)
      const maxWaitDuration = Duration.decode(policy.retry.maxRateLimitWait)
      const maxWait = Duration.toMillis(maxWaitDuration)

      // The call's deadline runs only while the call is not queueing: it starts once the first attempt has a slot
      // of the rate window, and every later wait for the window (the governor's, or one a 429 ordered) moves it
      // on by as long as the wait took. Each attempt's own deadline starts after its wait.
      let deadline = Number.POSITIVE_INFINITY
      const queued = <X, E>(wait: Effect.Effect<X, E>): Effect.Effect<X, E> =>
        Effect.clockWith((clock) => {
          const start = clock.unsafeCurrentTimeMillis()
          return Effect.ensuring(
            wait,
            Effect.sync(() => {
              if (deadline !== Number.POSITIVE_INFINITY) deadline += clock.unsafeCurrentTimeMillis() - start
            })
          )
        })
      const attemptMillis = Duration.toMillis(policy.attemptTimeout)
      const callTimeout = () =>
        new Timeout({ ...where, scope: "call", afterMillis: callMillis, mayHaveReachedServer: true })
      const attemptTimeout = () =>
        new Timeout({ ...where, scope: "attempt", afterMillis: attemptMillis, mayHaveReachedServer: true })
      // The governor may hold a call as long as a 429 may order it to wait: `maxRateLimitWait` and the margin.
      const slot = queued(acquireSlot(where, Duration.millis(maxWait + rateLimitMarginMillis)))
      const once: Effect.Effect<A, CallError | DecodeError> = governed(
        slot,
        Effect.clockWith((clock) => {
          const now = clock.unsafeCurrentTimeMillis()
          if (deadline === Number.POSITIVE_INFINITY) deadline = now + callMillis
          const left = deadline - now
          // less than a millisecond left (clocks with fractions of a millisecond) is no time at all
          if (left < 1) return Effect.fail(callTimeout())
          return left < attemptMillis
            ? send(where, httpRequest, mode, left, callTimeout)
            : send(where, httpRequest, mode, attemptMillis, attemptTimeout)
        })
      ).pipe(
        Effect.flatMap((received): Effect.Effect<A, CallError | DecodeError> => {
          const { body, response } = received
          const ok = response.status >= 200 && response.status < 300
          const overLimit = `the body is longer than ${settings.maxResponseBytes} bytes (maxResponseBytes); not read`
          if (ok && received.tooLarge === true) {
            return Effect.fail(
              new DecodeError({ ...where, status: response.status, issue: overLimit, bodyExcerpt: "" })
            )
          }
          if (ok) return finish(where, endpoint, received)
          const text = typeof body === "string" ? body : body === undefined ? "" : new TextDecoder().decode(body)
          return Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<A, CallError | DecodeError> => {
            const serverMessage = received.tooLarge === true
              ? overLimit
              : endpoint.serverMessage(response.status, text)
            const error = statusError(where, response.status, serverMessage, response.headers, now)
            if (error._tag !== "RateLimited") return Effect.fail(error)
            const ordered = error.retryAfterMillis
            // Without a wait in the headers, the window is closed for the margin and the retry schedule backs off.
            if (ordered === undefined) {
              return Effect.zipRight(
                settings.governor.onRateLimited(Duration.millis(rateLimitMarginMillis)),
                Effect.fail(error)
              )
            }
            // The governor holds every call of the client for the wait the server ordered and the margin.
            const wait = Duration.millis(ordered + rateLimitMarginMillis)
            const hold = settings.governor.onRateLimited(wait)
            // A wait longer than the policy allows fails now, carrying the server's wait.
            if (ordered > maxWait) return Effect.zipRight(hold, Effect.fail(error))
            // Otherwise the call queues (the other calls of the client with it) for that wait, then is sent again.
            // A 429 certainly did nothing, so creates queue too; the wait spends neither the call's deadline, nor a
            // retry, nor the retry budget.
            return Effect.zipRight(hold, Effect.zipRight(queued(Effect.sleep(wait)), Effect.suspend(() => once)))
          })
        })
      )

      let lastFailure: CallError | DecodeError | undefined
      let retries = 0
      const shouldRetry = (error: CallError | DecodeError) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          lastFailure = error
          if (!RetryPolicy.isRetryable(error, { idempotent })) return Effect.succeed(false)
          if (now >= deadline) return Effect.succeed(false)
          // A 429 that ordered a wait was queued for already, or ordered one longer than the policy allows: either way
          // it is not retried by the schedule. One without a wait is retried like any other failure.
          if (error._tag === "RateLimited" && error.retryAfterMillis !== undefined) return Effect.succeed(false)
          return RetryPolicy.mayRetry(settings.budget, error, { idempotent })
        })

      // The retry machinery is set up only once an attempt has failed: the first failure is replayed into it, so
      // the schedule sees every failure, and a call that succeeds at once pays nothing for it.
      const retryAfter = (first: CallError | DecodeError) => {
        // The call's deadline bounds the backoff sleeps too: a sleep never runs past it.
        // The decision is part of the schedule, so that a retry the schedule would not make is not paid for, and a
        // retry is told of (`onRetry`) only once it will be made.
        const schedule = RetryPolicy.schedule(policy.retry).pipe(
          Schedule.checkEffect((error) => shouldRetry(error)),
          Schedule.modifyDelayEffect((_, delay) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) => {
              const capped = Duration.min(delay, Duration.millis(Math.max(0, deadline - now)))
              const onRetry = settings.onRetry
              if (onRetry === undefined || lastFailure === undefined) return Effect.succeed(capped)
              const error = redactor.error(lastFailure)
              retries++
              return Effect.as(
                onRetry({
                  operation,
                  retry: retries,
                  delayMillis: Duration.toMillis(capped),
                  error,
                  reason: RetryPolicy.describe(error)
                }),
                capped
              )
            })
          )
        )
        let replay = true
        const attempt = Effect.suspend(() => {
          if (!replay) return once
          replay = false
          return Effect.fail(first)
        })
        return Effect.retry(attempt, schedule)
      }

      return once.pipe(
        Effect.catchAll(retryAfter),
        Effect.tap(() => settings.budget.onSuccess)
      )
    }).pipe(Effect.mapError(redactor.error), span)
  }

  const call = <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    target: PipelineTarget,
    policy: CallPolicy
  ) =>
    run(
      operation,
      request as unknown as RequestOf<OperationId>,
      target,
      policy,
      codec(operation).responseKind,
      (where, endpoint, { body, response }) =>
        Effect.map(endpoint.decodeResponse(where, response.status, body), (value) => replyOf(where, response, value))
    ) as Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeErrorOf<Op, DecodeError>>

  const open = <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    target: PipelineTarget,
    policy: CallPolicy
  ) =>
    run(
      operation,
      request as unknown as RequestOf<OperationId>,
      target,
      policy,
      "Stream",
      (where, _, { response }) => Effect.succeed(replyOf(where, response, response))
    ) as Effect.Effect<Reply<HttpClientResponse.HttpClientResponse>, CallError>

  return { settings, redact: redactor.error, call, open }
}
