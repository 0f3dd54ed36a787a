/**
 * Where the examples send their requests.
 *
 * - With `UBIOPS_API_TOKEN` set: to UbiOps (`UBIOPS_API_HOST` optional), project `UBIOPS_PROJECT` (default `demo`).
 * - Otherwise: to an emulator started in this process on 127.0.0.1, with its built-in project `demo`
 *   (pipelines `echo`, `echo-plain`, `sleep`) and the projects you pass.
 *
 * In your own app, all of this is one line:
 *
 *   PipelineRequests.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
 */
import type { HttpClient, HttpServerError } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { PipelineRequests } from "@ubiops-effect/core"
import { Emulator, EmulatorServer, type PipelineDefinition } from "@ubiops-effect/emulator"
import { type ConfigError, Effect, Layer, Option, Redacted } from "effect"

export const usingEmulator = process.env.UBIOPS_API_TOKEN === undefined

export const project = process.env.UBIOPS_PROJECT ?? "demo"

const emulated = (projects: ReadonlyArray<PipelineDefinition.ProjectDefinition>) =>
  Layer.unwrapEffect(
    Effect.map(EmulatorServer.EmulatorServer, ({ baseUrl, token }) =>
      PipelineRequests.layer({ token: Redacted.make(token), host: baseUrl }))
  ).pipe(Layer.provideMerge(EmulatorServer.layerWithEmulator({ port: 0, projects })))

/** The `PipelineRequests` service the examples run on (with the `Emulator` service too, when it is emulated). */
export const PipelineRequestsLive = (
  options: { readonly projects?: ReadonlyArray<PipelineDefinition.ProjectDefinition> } = {}
): Layer.Layer<PipelineRequests.PipelineRequests, ConfigError.ConfigError | HttpServerError.ServeError> => {
  const service: Layer.Layer<
    PipelineRequests.PipelineRequests,
    ConfigError.ConfigError | HttpServerError.ServeError,
    HttpClient.HttpClient
  > = usingEmulator
    ? emulated(options.projects ?? [])
    : PipelineRequests.layerConfig()
  return service.pipe(Layer.provide(NodeHttpClient.layerUndici))
}

/** What the embedded emulator saw (requests created, HTTP calls); nothing against UbiOps. */
export const emulatorStats = Effect.flatMap(
  Effect.serviceOption(Emulator.Emulator),
  Option.match({
    onNone: () => Effect.succeedNone,
    onSome: (emulator) => Effect.asSome(Effect.provideService(Emulator.stats, Emulator.Emulator, emulator))
  })
)
