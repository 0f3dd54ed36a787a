/**
 * Runs one operation of the API: validates and encodes the request, sends it through the rate governor with
 * a per-attempt deadline, turns every failure into a typed error, retries by policy within the shared retry
 * budget and the whole-call deadline, and decodes the response.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as Headers from "@effect/platform/Headers"
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
import { formatIssue } from "../ApiParams.js"
import type { PipelineTarget } from "../PipelineRequests.js"
import { isCreate, type OperationId } from "../PipelineRequestsApi.js"
import * as RateGovernor from "../RateGovernor.js"
import type { RetryBudget } from "../RetryBudget.js"
import { defaults as budgetDefaults } from "../RetryBudget.js"
import type { RetryPolicy } from "../RetryPolicy.js"
import {
  BadRequest,
  type CallError,
  DecodeError,
  Forbidden,
  InvalidRequest,
  NotFound,
  RateLimited,
  type ResponseError,
  ServerError,
  Timeout,
  TransportError,
  Unauthorized
} from "../UbiOpsError.js"
import {
  codec,
  type DecodeErrorOf,
  type EncodedRequest,
  type EndpointCodec,
  type RequestOf,
  type SuccessOf
} from "./endpoints.js"
import { traced } from "./tracing.js"

export interface CallerSettings {
  /** The normalised API root, e.g. `https://api.ubiops.com/v2.1`. */
  readonly baseUrl: string
  readonly authorization: Redacted.Redacted<string>
  readonly userAgent: string
  readonly retry: RetryPolicy
  readonly attemptTimeout: Duration.Duration
  readonly callTimeout: Duration.Duration
  readonly budget: RetryBudget
  readonly governor: RateGovernor.RateGovernor
  readonly maxPayloadBytes: number
}

/** Per-call overrides, already resolved against the client's settings. */
export interface CallPolicy {
  readonly retry: RetryPolicy
  readonly attemptTimeout: Duration.Duration
  readonly callTimeout: Duration.Duration
}

export interface Reply<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
}

const excerpt = (text: string, length = 200): string => {
  const compact = text.replace(/\s+/g, " ").trim()
  return compact.length > length ? `${compact.slice(0, length)}...` : compact
}

/** The server's message: `error`, else `error_message`, else the beginning of the body. */
export const serverMessage = (body: string): string | undefined => {
  if (body.length === 0) return undefined
  try {
    const json: unknown = JSON.parse(body)
    if (typeof json === "object" && json !== null) {
      const { error, error_message, detail } = json as Record<string, unknown>
      for (const candidate of [error, error_message, detail]) {
        if (typeof candidate === "string" && candidate.length > 0) return candidate
      }
    }
  } catch {
    // not JSON: an HTML page from a proxy, say
  }
  return excerpt(body.replace(/<[^>]*>/g, " "))
}

/** How long a 429 asks to wait: `x-ratelimit-reset` seconds, else `Retry-After` (seconds or a date). */
export const retryAfterMillis = (headers: Headers.Headers, now: number): number | undefined => {
  const reset = Number(headers["x-ratelimit-reset"])
  if (headers["x-ratelimit-reset"] !== undefined && Number.isFinite(reset) && reset >= 0) return reset * 1000
  const retryAfter = headers["retry-after"]
  if (retryAfter === undefined) return undefined
  const seconds = Number(retryAfter)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(retryAfter)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

interface Where {
  readonly operation: OperationId
  readonly method: string
  readonly path: string
}

export const statusError = (
  where: Where,
  status: number,
  body: string,
  headers: Headers.Headers,
  now: number
): ResponseError => {
  const fields = { ...where, status, serverMessage: serverMessage(body) }
  if (status === 401) return new Unauthorized(fields)
  if (status === 403) return new Forbidden(fields)
  if (status === 404) return new NotFound(fields)
  if (status === 429) return new RateLimited({ ...fields, retryAfterMillis: retryAfterMillis(headers, now) })
  if (status >= 500) return new ServerError(fields)
  if (status >= 300 && status < 400) {
    const location = headers["location"]
    return new BadRequest({
      ...fields,
      serverMessage: `redirected to ${location ?? "(no location)"}, not followed: point the client at that host`
    })
  }
  return new BadRequest(fields)
}

const refusedCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "ENETUNREACH"])

/** The first `code` found along an error's `cause` chain (Node and undici put it at different depths). */
const errorCode = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const transportError = (where: Where, error: HttpClientError.HttpClientError): TransportError => {
  const cause = error.cause
  const code = errorCode(cause)
  const reached = error._tag === "ResponseError" ||
    (error.reason === "Transport" && (code === undefined || !refusedCodes.has(code)))
  const reason = code ??
    (cause instanceof Error ? cause.message : error._tag === "ResponseError" ? "the response broke off" : error.reason)
  return new TransportError({ ...where, mayHaveReachedServer: reached, reason, cause })
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

/** Whether a failure may be retried, for an operation that is or is not safe to repeat. */
export const isRetryable = (error: CallError, idempotent: boolean): boolean => {
  switch (error._tag) {
    case "RateLimited":
      return true
    case "TransportError":
      return idempotent || !error.mayHaveReachedServer
    case "ServerError":
      return idempotent
    case "BadRequest":
      return idempotent && error.status === 408
    case "Timeout":
      return idempotent && error.scope === "attempt"
    default:
      return false
  }
}

/** The backoff of one call: exponential, jittered, capped; never sooner than the server's rate-limit hint. */
export const retrySchedule = (policy: RetryPolicy): Schedule.Schedule<unknown, CallError | DecodeError> => {
  const maxDelay = Duration.decode(policy.maxDelay)
  return Schedule.exponential(policy.baseDelay, policy.factor).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.intersect(Schedule.identity<CallError | DecodeError>()),
    Schedule.modifyDelay(([, error], delay) =>
      error._tag === "RateLimited" && error.retryAfterMillis !== undefined
        ? Duration.max(delay, Duration.millis(error.retryAfterMillis))
        : delay
    )
  )
}

export interface Caller {
  readonly settings: CallerSettings
  /** Runs one operation with its retries and deadlines. */
  readonly call: <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    target: PipelineTarget,
    policy: CallPolicy
  ) => Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeErrorOf<Op, DecodeError>>
  /** Sends one operation once (the stream endpoint) and hands back the open response, status checked. */
  readonly open: <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    policy: CallPolicy
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, CallError>
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

export const make = (httpClient: HttpClient.HttpClient, settings: CallerSettings): Caller => {
  const client = HttpClient.withTracerDisabledWhen(httpClient, () => true).pipe(
    HttpClient.transformResponse(withoutRedirects)
  )
  const authorization = Redacted.value(settings.authorization)
  const rootPath = new URL(settings.baseUrl).pathname.replace(/\/$/, "")

  const encode = (
    endpoint: EndpointCodec,
    request: RequestOf<OperationId>
  ): Either.Either<EncodedRequest, InvalidRequest> => {
    const encoded = endpoint.encode(request)
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

  const toHttpRequest = (encoded: EncodedRequest) => {
    let request = HttpClientRequest.make(encoded.method)(settings.baseUrl + encoded.path, {
      urlParams: encoded.urlParams,
      headers: {
        authorization,
        "user-agent": settings.userAgent,
        accept: "application/json"
      }
    })
    if (encoded.body !== undefined) {
      request = HttpClientRequest.setBody(request, HttpBody.text(encoded.body.text, encoded.body.contentType))
    }
    return request
  }

  /** Sends one request and reads its whole body, within `limitMillis`: the attempt's deadline, or what is left
   * of the call's when that comes first. */
  const send = (
    where: Where,
    request: HttpClientRequest.HttpClientRequest,
    kind: EndpointCodec["responseKind"],
    limitMillis: number,
    onTimeout: () => Timeout
  ) =>
    client.execute(request).pipe(
      Effect.flatMap((response) => {
        const body: Effect.Effect<string | ArrayBuffer, HttpClientError.ResponseError> = kind === "Bytes"
          ? response.arrayBuffer
          : response.text
        return Effect.map(body, (body) => ({ response, body }))
      }),
      Effect.catchAll((error) => Effect.fail(transportError(where, error))),
      Effect.timeoutFail({
        duration: Duration.millis(limitMillis),
        onTimeout
      })
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
  const governed = <E>(
    acquire: Effect.Effect<void, RateLimited>,
    use: Effect.Effect<
      { readonly response: HttpClientResponse.HttpClientResponse; readonly body: string | ArrayBuffer },
      E
    >
  ) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(acquire), () =>
        Effect.matchCauseEffect(restore(use), {
          onFailure: (cause) => Effect.zipRight(settings.governor.release(undefined), Effect.failCause(cause)),
          onSuccess: (reply) =>
            Effect.as(settings.governor.release(RateGovernor.parseHeaders(reply.response.headers)), reply)
        }))
    )

  const call = <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    target: PipelineTarget,
    policy: CallPolicy
  ): Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeErrorOf<Op, DecodeError>> => {
    const endpoint = codec(operation)
    const idempotent = !isCreate(operation)
    const span = traced(operation, "client", {
      "ubiops.operation": operation,
      "ubiops.project": target.project,
      "ubiops.pipeline": target.pipeline,
      "ubiops.version": target.version ?? "(default)"
    })
    return Effect.suspend(() => {
      const encoded = encode(endpoint, request as unknown as RequestOf<OperationId>)
      if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
      const where: Where = { operation, method: encoded.right.method, path: rootPath + encoded.right.path }
      const httpRequest = toHttpRequest(encoded.right)
      const callMillis = Duration.toMillis(policy.callTimeout)
      const maxWaitDuration = Duration.decode(policy.retry.maxRateLimitWait)
      const maxWait = Duration.toMillis(maxWaitDuration)

      // The call's deadline starts once its first attempt has a slot of the rate window: waiting for the server's
      // window is queueing, not slowness. Retries take their slot inside the deadline.
      let deadline = Number.POSITIVE_INFINITY
      const attemptMillis = Duration.toMillis(policy.attemptTimeout)
      const callTimeout = () =>
        new Timeout({ ...where, scope: "call", afterMillis: callMillis, mayHaveReachedServer: true })
      const attemptTimeout = () =>
        new Timeout({ ...where, scope: "attempt", afterMillis: attemptMillis, mayHaveReachedServer: true })
      const once: Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeError> = governed(
        acquireSlot(where, maxWaitDuration),
        Effect.clockWith((clock) => {
          const now = clock.unsafeCurrentTimeMillis()
          if (deadline === Number.POSITIVE_INFINITY) deadline = now + callMillis
          const left = deadline - now
          // less than a millisecond left (clocks with fractions of a millisecond) is no time at all
          if (left < 1) return Effect.fail(callTimeout())
          return left < attemptMillis
            ? send(where, httpRequest, endpoint.responseKind, left, callTimeout)
            : send(where, httpRequest, endpoint.responseKind, attemptMillis, attemptTimeout)
        })
      ).pipe(
        Effect.flatMap(({ body, response }): Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeError> => {
          if (response.status < 200 || response.status >= 300) {
            const text = typeof body === "string" ? body : new TextDecoder().decode(body)
            return Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<never, ResponseError> => {
              const error = statusError(where, response.status, text, response.headers, now)
              return error._tag === "RateLimited"
                ? Effect.zipRight(
                  settings.governor.onRateLimited(Duration.millis(error.retryAfterMillis ?? 1000)),
                  Effect.fail(error)
                )
                : Effect.fail(error)
            })
          }
          return Effect.map(
            decode(where, endpoint, response, body),
            (value) => ({ value: value as SuccessOf<Op>, status: response.status, headers: response.headers })
          )
        })
      )

      const shouldRetry = (error: CallError | DecodeError) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          if (error._tag === "DecodeError" || !isRetryable(error, idempotent)) return Effect.succeed(false)
          if (error._tag === "Timeout" && error.scope === "call") return Effect.succeed(false)
          if (now >= deadline) return Effect.succeed(false)
          if (error._tag === "RateLimited") {
            // A wait the call cannot afford fails now, with the hint, rather than sleeping into the deadline.
            const affordable = Math.min(maxWait, deadline - now)
            if ((error.retryAfterMillis ?? 0) > affordable) return Effect.succeed(false)
          }
          const cost = error._tag === "Timeout" || error._tag === "TransportError"
            ? budgetDefaults.timeoutRetryCost
            : budgetDefaults.retryCost
          return settings.budget.tryAcquire(cost)
        })

      // The retry machinery is set up only once an attempt has failed: the first failure is replayed into it, so
      // the schedule sees every failure, and a call that succeeds at once pays nothing for it.
      const retryAfter = (first: CallError | DecodeError) => {
        // The call's deadline bounds the backoff sleeps too: a sleep never runs past it.
        const schedule = retrySchedule(policy.retry).pipe(
          Schedule.modifyDelayEffect((_, delay) =>
            Effect.map(
              Clock.currentTimeMillis,
              (now) => Duration.min(delay, Duration.millis(Math.max(0, deadline - now)))
            )
          )
        )
        let replay = true
        const attempt = Effect.suspend(() => {
          if (!replay) return once
          replay = false
          return Effect.fail(first)
        })
        return Effect.retry(attempt, { schedule, while: shouldRetry })
      }

      return once.pipe(
        Effect.catchAll(retryAfter),
        Effect.tap(() => settings.budget.onSuccess)
      )
    }).pipe(span) as Effect.Effect<Reply<SuccessOf<Op>>, CallError | DecodeErrorOf<Op, DecodeError>>
  }

  const decode = (
    where: Where,
    endpoint: EndpointCodec,
    response: HttpClientResponse.HttpClientResponse,
    body: string | ArrayBuffer
  ): Effect.Effect<unknown, DecodeError> => {
    switch (endpoint.responseKind) {
      case "Empty":
        return Effect.void
      case "Bytes":
        return Effect.succeed(new Uint8Array(body as ArrayBuffer))
      case "Text":
        return Effect.succeed(body)
      case "Any": {
        try {
          return Effect.succeed(body === "" ? undefined : JSON.parse(body as string))
        } catch {
          return Effect.succeed(body)
        }
      }
    }
    const text = body as string
    const fail = (issue: string) =>
      Effect.fail(
        new DecodeError({
          ...where,
          status: response.status,
          issue,
          bodyExcerpt: text.length === 0 ? "(empty)" : excerpt(text)
        })
      )
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return fail(text.length === 0 ? "the body is empty, JSON was expected" : "the body is not valid JSON")
    }
    const decoded = endpoint.decodeJson(json)
    return Either.isRight(decoded) ? Effect.succeed(decoded.right) : fail(formatIssue(decoded.left))
  }

  const open = <Op extends OperationId>(
    operation: Op,
    request: RequestOf<Op>,
    policy: CallPolicy
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, CallError> => {
    const endpoint = codec(operation)
    return Effect.suspend(() => {
      const encoded = encode(endpoint, request as unknown as RequestOf<OperationId>)
      if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
      const where: Where = { operation, method: encoded.right.method, path: rootPath + encoded.right.path }
      const httpRequest = HttpClientRequest.setHeader(toHttpRequest(encoded.right), "accept", "text/event-stream")
      const once = Effect.uninterruptibleMask((restore) =>
        restore(acquireSlot(where, Duration.decode(policy.retry.maxRateLimitWait))).pipe(
          Effect.zipRight(
            restore(
              Effect.catchAll(client.execute(httpRequest), (error) => Effect.fail(transportError(where, error)))
            ).pipe(
              Effect.onExit((exit) =>
                settings.governor.release(
                  exit._tag === "Success" ? RateGovernor.parseHeaders(exit.value.headers) : undefined
                )
              )
            )
          )
        )
      ).pipe(
        Effect.flatMap((response): Effect.Effect<HttpClientResponse.HttpClientResponse, CallError> =>
          response.status >= 200 && response.status < 300
            ? Effect.succeed(response)
            : Effect.flatMap(
              Effect.zip(Effect.orElseSucceed(response.text, () => ""), Clock.currentTimeMillis),
              ([text, now]) => Effect.fail(statusError(where, response.status, text, response.headers, now))
            )
        )
      )
      return once.pipe(
        Effect.retry({
          schedule: retrySchedule(policy.retry),
          while: (error) =>
            isRetryable(error, false) &&
            !(error._tag === "RateLimited" &&
              (error.retryAfterMillis ?? 0) > Duration.toMillis(policy.retry.maxRateLimitWait))
        })
      )
    })
  }

  return { settings, call, open }
}
