/**
 * The real client over undici, against a loopback emulator server: the layer of both, for tests that go through
 * HTTP (faults on the wire, dropped connections).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import type { EmulatorOptions } from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer, Redacted } from "effect"

export const clientOverServer = (options: EmulatorOptions & { readonly token: string }) => {
  const server = EmulatorServer.layerWithEmulator({ port: 0, ...options })
  const client = Layer.unwrapEffect(
    Effect.map(
      EmulatorServer.EmulatorServer,
      ({ baseUrl }) =>
        PipelineRequests.layer({ token: Redacted.make(options.token), host: baseUrl }).pipe(
          Layer.provide(NodeHttpClient.layerUndici)
        )
    )
  )
  return Layer.provideMerge(client, server)
}
