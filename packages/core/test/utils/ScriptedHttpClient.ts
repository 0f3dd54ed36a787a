import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** A request as the scripted server saw it. */
export interface Seen {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly contentType: string | undefined
  readonly body: string
}

export type Reply =
  | {
    readonly status: number
    readonly json?: unknown
    readonly text?: string
    readonly headers?: Record<string, string>
  }
  | { readonly refuse: true }
  | { readonly drop: true }
  | { readonly hang: true }

/**
 * An `HttpClient` answered by a function, recording every request: for testing the client's wire and
 * policies without sockets. `refuse` fails as a refused connection would, `drop` as a connection reset after
 * the request was sent, `hang` as a server that never answers.
 */
export const make = (answer: (request: Seen, index: number) => Reply) => {
  const seen: Array<Seen> = []
  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      const entry: Seen = {
        method: request.method,
        url,
        headers: request.headers,
        contentType: request.body._tag === "Uint8Array" ? request.body.contentType : undefined,
        body
      }
      seen.push(entry)
      const reply = answer(entry, seen.length - 1)
      if ("hang" in reply) return Effect.never
      if ("refuse" in reply || "drop" in reply) {
        const code = "refuse" in reply ? "ECONNREFUSED" : "UND_ERR_SOCKET"
        return Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: Object.assign(new Error(`simulated ${code}`), { code })
          })
        )
      }
      const headers = { ...reply.headers }
      let text = reply.text ?? ""
      if (reply.json !== undefined) {
        text = JSON.stringify(reply.json)
        headers["content-type"] ??= "application/json"
      }
      const web = new Response(reply.status === 204 ? null : text, { status: reply.status, headers })
      return Effect.succeed(HttpClientResponse.fromWeb(request, web))
    })
  )
  return { seen, layer: Layer.succeed(HttpClient.HttpClient, client) }
}
