/** Our client over `NodeHttpClient.layerUndici`, counting the collect calls it sends (the polls). */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as PipelineRequests from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

export const collectCounting = (token: string, host: string) => {
  const counter = { polls: 0 }
  const layer = PipelineRequests.layer({
    token: Redacted.make(token),
    host,
    transformClient: (client) =>
      HttpClient.tapRequest(client, (request) =>
        Effect.sync(() => {
          if (request.url.endsWith("/requests/collect")) counter.polls++
        }))
  }).pipe(Layer.provide(NodeHttpClient.layerUndici))
  return { layer, counter }
}
