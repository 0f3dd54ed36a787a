/**
 * The emulator as a real HTTP server, on `127.0.0.1` by default, serving the UbiOps API under `/v2.1` and the
 * emulator's own `/_emulator` routes. Port 0 picks a free port; the base URL and token are in the service.
 *
 * ```ts
 * import { Emulator, EmulatorServer } from "@ubiops-effect/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const { baseUrl, token } = yield* EmulatorServer.EmulatorServer
 *   // point any UbiOps client at baseUrl (http://127.0.0.1:PORT/v2.1) with this token
 * }).pipe(Effect.provide(EmulatorServer.layerWithEmulator({ port: 0 })))
 * ```
 *
 * @since 1.0.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createServer, type Server } from "node:http"
import type { Duplex } from "node:stream"
import { Emulator, type EmulatorOptions, layer as emulatorLayer } from "./Emulator.js"
import { apiRoot } from "./EmulatorApi.js"
import * as EmulatorApp from "./EmulatorApp.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface ServerOptions {
  /** Default 0: a free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1` (never all interfaces unless asked). */
  readonly host?: string | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface Service {
  /** The API root to give a client: `http://127.0.0.1:PORT/v2.1`. */
  readonly baseUrl: string
  /** The server's origin: `http://127.0.0.1:PORT` (the `/_emulator` routes are under it). */
  readonly origin: string
  readonly host: string
  readonly port: number
  /** The token clients must send. */
  readonly token: string
}

/**
 * @since 1.0.0
 * @category tags
 */
export class EmulatorServer extends Context.Tag("@ubiops-effect/emulator/EmulatorServer")<EmulatorServer, Service>() {}

const protocolErrors: Record<string, readonly [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request header fields too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request timeout"]
}

/**
 * A request the HTTP parser cannot read (not HTTP, a bad header, bytes past the declared length) is answered, as
 * every error of the emulator, with `{"error": ...}` in JSON (Node's own answer has no body), and the connection
 * is closed.
 */
const answerClientError = (error: Error & { readonly code?: string }, socket: Duplex) => {
  const pending = (socket as Duplex & { readonly _httpMessage?: { readonly headersSent?: boolean } })._httpMessage
  if (error.code === "ECONNRESET" || !socket.writable || pending?.headersSent === true) {
    socket.destroy()
    return
  }
  const [status, text] = protocolErrors[error.code ?? ""] ?? [400, "Bad request"]
  const body = JSON.stringify({ error: `${text}: the request is not valid HTTP (${error.code ?? error.message})` })
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${
      Buffer.byteLength(body)
    }\r\nconnection: close\r\n\r\n${body}`
  )
}

/** A dropped connection is a destroyed socket: the client sees the connection close with no response. */
const withSocketDrop = <E, R>(app: Effect.Effect<any, E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.provideService(app, EmulatorApp.Connection, {
      drop: () => NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    }))

/**
 * A page in a browser may call the emulator from any origin (a local UbiOps for front-end development and browser
 * tests): preflights are answered without the token, and the rate-limit headers the client paces itself by are
 * readable by the page.
 */
const withCors = HttpMiddleware.cors({
  allowedHeaders: ["authorization", "content-type", "accept", "x-requested-with"],
  exposedHeaders: [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
    "content-disposition"
  ],
  maxAge: 600
})

/**
 * Serves the emulator of the context until the scope closes.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make = (options: ServerOptions = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    const host = options.host ?? "127.0.0.1"
    let nodeServer: Server | undefined
    const server = yield* NodeHttpServer.make(() => {
      nodeServer = createServer({ keepAliveTimeout: 65_000 })
      nodeServer.on("clientError", answerClientError)
      return nodeServer
    }, {
      host,
      port: options.port ?? 0
    })
    // Closing waits for open connections; keep-alive clients and running streams must not hold it up.
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer?.closeAllConnections()))
    const app = yield* EmulatorApp.make
    yield* server.serve(withCors(withSocketDrop(app))).pipe(
      HttpMiddleware.withTracerDisabledWhenEffect(() => true),
      Effect.provide(NodeHttpServer.layerContext)
    )
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
    return {
      baseUrl: `${origin}${apiRoot}`,
      origin,
      host,
      port,
      token: Redacted.value(emulator.token)
    } satisfies Service
  })

/**
 * @since 1.0.0
 * @category layers
 */
export const layer = (
  options: ServerOptions = {}
): Layer.Layer<EmulatorServer, HttpServerError.ServeError, Emulator> => Layer.scoped(EmulatorServer, make(options))

/**
 * A new emulator and its server.
 *
 * @since 1.0.0
 * @category layers
 */
export const layerWithEmulator = (
  options: EmulatorOptions & ServerOptions = {}
): Layer.Layer<EmulatorServer | Emulator, HttpServerError.ServeError> =>
  layer(options).pipe(Layer.provideMerge(emulatorLayer(options)))
