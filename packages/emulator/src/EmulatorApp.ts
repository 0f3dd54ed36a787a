/**
 * The emulator's HTTP application, built with `HttpApiBuilder` from `EmulatorApi` (the core
 * `PipelineRequestsApi` and the emulator's extra routes) on one `Emulator`. The real server
 * (`EmulatorServer`) and the in-process client (`EmulatorHttpClient`) both serve this same application.
 *
 * Around the API it adds what UbiOps does on every call: token authentication on `/v2.1`, the
 * `x-ratelimit-*` headers, and error bodies that are always `{"error": "<message>"}` in JSON. Bodies are read
 * once, with a size limit (413), through `Leniency.bufferBody`.
 *
 * @since 1.0.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiError from "@effect/platform/HttpApiError"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { isCreate, type OperationId } from "@ubiops-effect/core/PipelineRequestsApi"
import * as Backend from "@ubiops-effect/core/PipelineRequestsBackend"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createHash, timingSafeEqual } from "node:crypto"
import { Emulator, stats } from "./Emulator.js"
import { apiRoot, CallVerdict, EmulatorApi, EndpointGate } from "./EmulatorApi.js"
import type * as Engine from "./Engine.js"
import * as EngineOperations from "./internal/engineOperations.js"
import type { CreateResponseWire } from "./internal/wire.js"
import * as Leniency from "./Leniency.js"

/**
 * How the transport can drop the connection of the current request without answering (the fault
 * `dropBeforeAccept`/`dropAfterAccept`). The real server destroys the socket; the in-process client reports
 * a transport error. Without it, a drop answers nothing useful but is still counted.
 *
 * @since 1.0.0
 * @category transport
 */
export class Connection extends Context.Tag("@ubiops-effect/emulator/EmulatorApp/Connection")<Connection, {
  readonly drop: () => void
}>() {}

/** The response a handler gives after dropping the connection; it never reaches a client. */
const droppedResponse = HttpServerResponse.empty({ status: 499 })

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

const errorResponse = (status: number, message: string) => HttpServerResponse.unsafeJson({ error: message }, { status })

/**
 * The engine's refusal as the response itself. (Failing with the API's typed error bodies would not do: they
 * all have the shape `{ error: string }`, so the encoder picks the first of them, 400, for every one.)
 */
const rejection = <A, R>(effect: Effect.Effect<A, Engine.RequestRejected, R>) =>
  Effect.catchTag(effect, "RequestRejected", (error) => Effect.succeed(errorResponse(error.status, error.message)))

const fileResponse = (file: Engine.RequestFile) =>
  HttpServerResponse.text(file.body, {
    contentType: file.contentType,
    headers: { "content-disposition": `attachment; filename="${file.filename}"` }
  })

/** Drops the connection (if the transport can) and counts it. */
const drop = (when: "before" | "after") =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    emulator.counters.dropped(when)
    const connection = yield* Effect.serviceOption(Connection)
    if (Option.isSome(connection)) connection.value.drop()
    return droppedResponse
  })

/** The `requests/stream` body: a `data:` line per line of each partial result, then the final response as one
 * bare JSON line (UBIOPS-WIRE.md §6). */
const eventLines = (chunk: string) => `${chunk.split("\n").map((line) => `data:${line}`).join("\n")}\n\n`

const isStream = (operation: OperationId) =>
  operation === "pipelineRequestsStream" || operation === "pipelineVersionRequestsStream"

/** The response of an operation the engine ran. */
const respond = (
  operation: OperationId,
  outcome: EngineOperations.Outcome,
  partials: Mailbox.Mailbox<string> | undefined
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const status = Backend.codec(operation).successStatus
  switch (outcome._tag) {
    case "Json":
      return Effect.succeed(json(outcome.body, status))
    case "Empty":
      return Effect.succeed(HttpServerResponse.empty({ status }))
    case "File":
      return Effect.succeed(fileResponse(outcome.file))
    case "Direct": {
      if (partials === undefined) return Effect.map(outcome.run.response, (response) => json(response, status))
      const finish = outcome.run.response.pipe(
        Effect.flatMap((response: CreateResponseWire) => partials.offer(`${JSON.stringify(response)}\n`)),
        Effect.zipRight(partials.end)
      )
      const body = Stream.unwrapScoped(
        Effect.as(Effect.forkScoped(finish), Mailbox.toStream(partials))
      ).pipe(Stream.encodeText)
      return Effect.succeed(HttpServerResponse.stream(body, { contentType: "text/event-stream", status }))
    }
  }
}

const PipelineRequestsLive = HttpApiBuilder.group(
  EmulatorApi,
  "pipelineRequests",
  (handlers) =>
    Effect.gen(function*() {
      const { engine } = yield* Emulator

      /** One operation on the engine, as the server decodes it; a create may have its connection dropped before
       * or after the engine accepted it. */
      const serve = (operation: OperationId) => (request: EngineOperations.ServerRequest) =>
        Effect.gen(function*() {
          const verdict = yield* CallVerdict
          const create = isCreate(operation)
          if (create && verdict.drop === "before") return yield* drop("before")
          const partials = isStream(operation) ? yield* Mailbox.make<string>() : undefined
          const outcome = yield* EngineOperations.run(
            engine,
            operation,
            request,
            partials === undefined ? undefined : (chunk) => partials.unsafeOffer(eventLines(chunk))
          )
          if (create && verdict.drop === "after") return yield* drop("after")
          return yield* respond(operation, outcome, partials)
        }).pipe(rejection)

      return handlers
        .handle("batchPipelineRequestsCreate", serve("batchPipelineRequestsCreate"))
        .handle("batchPipelineVersionRequestsCreate", serve("batchPipelineVersionRequestsCreate"))
        .handle("pipelineRequestsCreate", serve("pipelineRequestsCreate"))
        .handle("pipelineVersionRequestsCreate", serve("pipelineVersionRequestsCreate"))
        .handle("pipelineRequestsStream", serve("pipelineRequestsStream"))
        .handle("pipelineVersionRequestsStream", serve("pipelineVersionRequestsStream"))
        .handle("pipelineRequestsGet", serve("pipelineRequestsGet"))
        .handle("pipelineVersionRequestsGet", serve("pipelineVersionRequestsGet"))
        .handle("pipelineRequestsList", serve("pipelineRequestsList"))
        .handle("pipelineVersionRequestsList", serve("pipelineVersionRequestsList"))
        .handle("pipelineRequestsBatchGet", serve("pipelineRequestsBatchGet"))
        .handle("pipelineVersionRequestsBatchGet", serve("pipelineVersionRequestsBatchGet"))
        .handle("pipelineRequestsUpdate", serve("pipelineRequestsUpdate"))
        .handle("pipelineVersionRequestsUpdate", serve("pipelineVersionRequestsUpdate"))
        .handle("pipelineRequestsBatchCancel", serve("pipelineRequestsBatchCancel"))
        .handle("pipelineVersionRequestsBatchCancel", serve("pipelineVersionRequestsBatchCancel"))
        .handle("pipelineRequestsDelete", serve("pipelineRequestsDelete"))
        .handle("pipelineVersionRequestsDelete", serve("pipelineVersionRequestsDelete"))
        .handle("pipelineRequestsBatchDelete", serve("pipelineRequestsBatchDelete"))
        .handle("pipelineVersionRequestsBatchDelete", serve("pipelineVersionRequestsBatchDelete"))
        .handle("pipelineVersionObjectRequestsGet", serve("pipelineVersionObjectRequestsGet"))
        .handle("pipelineRequestsInputGet", serve("pipelineRequestsInputGet"))
        .handle("pipelineRequestsOutputGet", serve("pipelineRequestsOutputGet"))
        .handle("pipelineVersionRequestsInputGet", serve("pipelineVersionRequestsInputGet"))
        .handle("pipelineVersionRequestsOutputGet", serve("pipelineVersionRequestsOutputGet"))
        .handle("pipelineVersionObjectRequestsInputGet", serve("pipelineVersionObjectRequestsInputGet"))
        .handle("pipelineVersionObjectRequestsOutputGet", serve("pipelineVersionObjectRequestsOutputGet"))
    })
)

const ServiceLive = HttpApiBuilder.group(EmulatorApi, "service", (handlers) =>
  Effect.gen(function*() {
    const { engine } = yield* Emulator
    return handlers
      .handle("serviceStatus", () => Effect.succeed({ status: "ok" }))
      .handle("pipelinesGet", ({ path }) => rejection(engine.getPipeline(path.project_name, path.pipeline_name)))
      .handle("userGet", () => Effect.succeed({ email: engine.userEmail, name: "UbiOps", surname: "Emulator" }))
      .handle("projectsList", () => engine.projects)
      .handle("projectsGet", ({ path }) => rejection(engine.getProject(path.project_name)))
  }))

const ControlLive = HttpApiBuilder.group(EmulatorApi, "control", (handlers) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    const context = Context.make(Emulator, emulator)
    return handlers
      .handle("stats", () => Effect.provide(stats, context))
      .handle("getFaults", () => Effect.sync(() => emulator.faults.settings()))
      .handle("setFaults", ({ payload }) =>
        Effect.sync(() => {
          emulator.faults.set(payload)
          return payload
        }))
  }))

/** Which operation a route belongs to, and whether it creates requests. */
const operations = (() => {
  const byRoute = new Map<string, string>()
  HttpApi.reflect(EmulatorApi, {
    onGroup() {},
    onEndpoint({ endpoint }) {
      byRoute.set(`${endpoint.method} ${endpoint.path}`, endpoint.name)
    }
  })
  return byRoute
})()

const GateLive = Layer.effect(
  EndpointGate,
  Effect.gen(function*() {
    const emulator = yield* Emulator
    return Effect.gen(function*() {
      const { route } = yield* HttpRouter.RouteContext
      const operation = operations.get(`${route.method} ${route.path}`) ?? `${route.method} ${route.path}`
      emulator.counters.call(operation)
      const verdict = emulator.faults.decide(emulator.now(), isCreate(operation))
      if (verdict.rateLimited) {
        return yield* Effect.die(errorResponse(429, "Rate limit exceeded: too many requests in this minute"))
      }
      if (verdict.latencyMillis > 0) yield* Effect.sleep(Duration.millis(verdict.latencyMillis))
      if (verdict.errorStatus !== undefined) {
        return yield* Effect.die(errorResponse(verdict.errorStatus, `Emulated fault: ${verdict.errorStatus}`))
      }
      return verdict
    })
  })
)

const ApiLive = HttpApiBuilder.api(EmulatorApi).pipe(
  Layer.provide([PipelineRequestsLive, ServiceLive, ControlLive]),
  Layer.provide(GateLive)
)

// -------------------------------------------------------------------------------------------------
// around the API

const sha256 = (value: string) => createHash("sha256").update(value).digest()

const defaultMessages: Record<number, string> = {
  400: "Bad request",
  401: "Authentication credentials were not provided.",
  404: "Not found",
  405: "Method not allowed",
  413: "Request body too large",
  415: "Unsupported media type",
  499: "Client closed the request",
  500: "Internal emulator error",
  503: "Service unavailable"
}

interface Issue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/** One message for a list of schema issues; for an optional parameter, the "or absent" alternative of the
 * union is left out. */
const issuesText = (issues: ReadonlyArray<Issue>) => {
  const relevant = issues.filter((issue) => !issue.message.startsWith("Expected undefined"))
  return (relevant.length > 0 ? relevant : issues).map((issue) => {
    const field = issue.path.map(String).join(".")
    return field === "" || issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`
  }).join("; ")
}

/** Turns any error response into `{"error": "<message>"}` JSON; success responses pass unchanged. */
const withErrorBody = (
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
) => {
  if (response.status < 400) return response
  const body = response.body
  if (body._tag === "Uint8Array" && (response.headers["content-type"] ?? body.contentType).includes("json")) {
    try {
      const parsed = JSON.parse(new TextDecoder().decode(body.body)) as Record<string, unknown>
      if (typeof parsed.error === "string") return response
      if (parsed._tag === "HttpApiDecodeError" && Array.isArray(parsed.issues) && parsed.issues.length > 0) {
        return errorResponse(response.status, issuesText(parsed.issues as Array<Issue>))
      }
      if (typeof parsed.message === "string") return errorResponse(response.status, parsed.message)
    } catch {
      // not JSON after all: replaced below
    }
  }
  const fallback = defaultMessages[response.status] ?? `HTTP ${response.status}`
  return errorResponse(
    response.status,
    response.status === 404 ? `${fallback}: ${request.method} ${request.url.split("?")[0]}` : fallback
  )
}

/** The response for a failure that escaped the API: a malformed body is 400 with the parser's message. */
const failureResponse = (cause: Cause.Cause<unknown>) => {
  for (const error of [...Cause.failures(cause), ...Cause.defects(cause)]) {
    if (error instanceof Leniency.BodyTooLarge) {
      return Effect.succeed(errorResponse(413, `The request body is larger than ${error.maxBytes} bytes`))
    }
    if (HttpServerError.isServerError(error) && error._tag === "RequestError" && error.description !== undefined) {
      return Effect.succeed(errorResponse(400, error.description))
    }
    if (error instanceof HttpApiError.HttpApiDecodeError) {
      return Effect.succeed(errorResponse(400, issuesText(error.issues)))
    }
  }
  return Effect.flatMap(
    HttpServerError.causeResponse(cause),
    ([response, unexplained]) =>
      response.status >= 500 && !Cause.isEmpty(unexplained) && !Cause.isInterruptedOnly(unexplained)
        ? Effect.as(Effect.logError("Emulator error", unexplained), response)
        : Effect.succeed(response)
  )
}

const isApiPath = (url: string) => url === apiRoot || url.startsWith(`${apiRoot}/`) || url.startsWith(`${apiRoot}?`)

/**
 * Authentication, body buffering, error bodies, rate-limit headers and response counting around the API.
 */
const around = (emulator: Emulator["Type"]) => {
  const expected = sha256(Redacted.value(emulator.token))
  const authorized = (header: string | undefined) => {
    const token = Leniency.tokenOf(header)
    return token !== undefined && timingSafeEqual(sha256(token), expected)
  }
  return <E, R>(app: HttpApp.Default<E, R>) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const api = isApiPath(request.url)
      let response: HttpServerResponse.HttpServerResponse
      if (api && !authorized(request.headers.authorization)) {
        response = errorResponse(
          401,
          request.headers.authorization === undefined ? defaultMessages[401] : "Invalid token."
        )
      } else {
        response = yield* Leniency.bufferBody(request, emulator.maxBodyBytes).pipe(
          Effect.flatMap((buffered) =>
            buffered instanceof Leniency.BufferedRequest && buffered.bytes.length > 0 &&
              !Leniency.isReadableContentType(buffered.headers["content-type"])
              ? Effect.succeed(errorResponse(
                415,
                `Unsupported Content-Type "${
                  buffered.headers["content-type"]
                }": send JSON as application/json (or plain input as text/plain)`
              ))
              : Effect.provideService(app, HttpServerRequest.HttpServerRequest, buffered)
          ),
          Effect.catchAllCause(failureResponse)
        )
      }
      if (response === droppedResponse) return response
      response = withErrorBody(request, response)
      const window = emulator.faults.window(emulator.now())
      if (api) emulator.counters.response(response.status)
      // A 429 while the minute's window has room is an emulated fault (`errorRates`): a momentary refusal, whose
      // headers say so (nothing left, retry in a second) rather than describe a window that is not spent.
      const injected429 = response.status === 429 && window.remaining > 0
      return HttpServerResponse.setHeaders(response, {
        "x-ratelimit-limit": String(window.limit),
        "x-ratelimit-remaining": injected429 ? "0" : String(window.remaining),
        "x-ratelimit-reset": injected429 ? "1" : String(window.resetSeconds)
      })
    })
}

/**
 * The emulator's HTTP application. The API's handlers live as long as the scope.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make: Effect.Effect<
  HttpApp.Default<never, HttpRouter.HttpRouter.DefaultServices>,
  never,
  Emulator | Scope.Scope
> = Effect.gen(function*() {
  const emulator = yield* Emulator
  const context = yield* Layer.build(
    Layer.mergeAll(ApiLive, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer).pipe(
      Layer.provideMerge(Layer.succeed(Emulator, emulator))
    )
  )
  const app = yield* Effect.provide(HttpApiBuilder.httpApp, context)
  return around(emulator)(app) as HttpApp.Default<never, HttpRouter.HttpRouter.DefaultServices>
})
