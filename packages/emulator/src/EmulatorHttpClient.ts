/**
 * An `HttpClient` that sends every request in-process to the emulator's HTTP application: the whole client
 * stack runs (encoding, headers, status handling, retries, the stream endpoint), with no socket. Give the
 * client any host ending in `/v2.1`, for example `EmulatorHttpClient.baseUrl`.
 *
 * ```ts
 * import { PipelineRequests } from "@ubiops-effect/core"
 * import { Emulator, EmulatorHttpClient } from "@ubiops-effect/emulator"
 * import { Layer, Redacted } from "effect"
 *
 * const Client = PipelineRequests.layer({ token: Redacted.make("t"), host: EmulatorHttpClient.baseUrl }).pipe(
 *   Layer.provide(EmulatorHttpClient.layer),
 *   Layer.provideMerge(Emulator.layer({ token: "t" }))
 * )
 * ```
 *
 * @since 1.0.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Emulator } from "./Emulator.js"
import * as EmulatorApp from "./EmulatorApp.js"

/**
 * A base URL for clients of the in-process emulator (the host is never resolved).
 *
 * @since 1.0.0
 * @category constants
 */
export const baseUrl = "http://ubiops-emulator.invalid/v2.1"

/**
 * Builds the client on the emulator of the context. A connection dropped by a fault is a transport error
 * (`RequestError` with reason `Transport`), as a destroyed socket would be.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make: Effect.Effect<HttpClient.HttpClient, never, Emulator | Scope.Scope> = Effect.gen(
  function*() {
    const app = yield* EmulatorApp.make
    const runtime = yield* Layer.toRuntime(HttpServer.layerContext)
    const handler = HttpApp.toWebHandlerRuntime(runtime)(app)
    return HttpClient.make((request, url, signal) => {
      let dropped = false
      const connection = Context.make(EmulatorApp.Connection, { drop: () => void (dropped = true) })
      const headers = Headers.remove(request.headers, "content-length")
      const send = (body: BodyInit | undefined) =>
        Effect.tryPromise({
          try: () =>
            handler(
              new Request(url, {
                method: request.method,
                headers,
                body,
                signal,
                duplex: request.body._tag === "Stream" ? "half" : undefined
              } as RequestInit),
              connection
            ),
          catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        }).pipe(
          Effect.flatMap((response) =>
            dropped
              ? Effect.fail(
                new HttpClientError.RequestError({
                  request,
                  reason: "Transport",
                  description: "the emulator dropped the connection (an emulated fault)"
                })
              )
              : Effect.succeed(HttpClientResponse.fromWeb(request, response))
          )
        )
      switch (request.body._tag) {
        case "Raw":
        case "Uint8Array":
          return send(request.body.body as BodyInit)
        case "FormData":
          return send(request.body.formData)
        case "Stream":
          return Effect.flatMap(Stream.toReadableStreamEffect(request.body.stream), send)
        default:
          return send(undefined)
      }
    })
  }
)

/**
 * @since 1.0.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient, never, Emulator> = Layer.scoped(HttpClient.HttpClient, make)
