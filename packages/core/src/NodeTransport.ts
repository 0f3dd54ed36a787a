/**
 * **Node only.** Transports whose own timeouts never cut a call short: the client's deadlines are the only bound.
 *
 * A direct or streaming request may run as long as its pipeline timeout (up to 7,200 s) plus a margin, and the
 * client gives each one that deadline. Node's transports have timeouts of their own that come first:
 * - `FetchHttpClient.layer` on Node uses undici's global dispatcher, which fails a response whose headers take
 *   longer than 300 s (`UND_ERR_HEADERS_TIMEOUT`);
 * - `NodeHttpClient.layerUndici` sets a headers timeout of one hour on every request.
 *
 * The layers here give either transport a dispatcher that turns both of undici's per-request timeouts (headers and
 * body) off, request by request, so they apply whatever the transport sets. Connecting still has undici's
 * connect timeout. This module imports `@effect/platform-node` (an optional peer dependency); it is not part of the
 * package's barrel, so the rest of the package runs on Bun, Deno and in browsers without it.
 *
 * @since 1.0.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"

/**
 * The dispatcher with undici's headers and body timeouts turned off on every request it carries: a value of 0
 * replaces whatever the request or the dispatcher had. The result closes with `dispatcher`.
 *
 * @since 1.0.0
 * @category constructors
 */
export const withoutTransportTimeouts = (dispatcher: Undici.Dispatcher): Undici.Dispatcher =>
  dispatcher.compose((dispatch) => (options, handler) =>
    dispatch({ ...options, headersTimeout: 0, bodyTimeout: 0 }, handler)
  )

/**
 * A new undici `Agent` (with `options`, e.g. `connections` or `connect`) without its headers and body timeouts,
 * closed with the scope.
 *
 * @since 1.0.0
 * @category constructors
 */
export const makeDispatcher = (
  options?: Undici.Agent.Options
): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Undici.Agent(options)),
      (agent) => Effect.promise(() => agent.destroy())
    ),
    withoutTransportTimeouts
  )

/**
 * `NodeHttpClient.Dispatcher` from `makeDispatcher`: for `NodeHttpClient.layerUndiciWithoutDispatcher`.
 *
 * @since 1.0.0
 * @category layers
 */
export const dispatcherLayer = (options?: Undici.Agent.Options): Layer.Layer<NodeHttpClient.Dispatcher> =>
  Layer.scoped(NodeHttpClient.Dispatcher, makeDispatcher(options))

/**
 * `NodeHttpClient`'s undici transport (the fast one on Node) on a dispatcher without transport timeouts.
 *
 * @since 1.0.0
 * @category layers
 */
export const layerUndici = (options?: Undici.Agent.Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher, dispatcherLayer(options))

/**
 * The `fetch` transport of `@effect/platform` with Node's `fetch` sending through a dispatcher without transport
 * timeouts (its `dispatcher` option).
 *
 * @since 1.0.0
 * @category layers
 */
export const layerFetch = (options?: Undici.Agent.Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.unwrapScoped(Effect.map(makeDispatcher(options), (dispatcher) => {
    const fetchWith: typeof globalThis.fetch = (input, init) =>
      globalThis.fetch(input, { ...init, dispatcher } as RequestInit)
    return Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, fetchWith))
  }))
