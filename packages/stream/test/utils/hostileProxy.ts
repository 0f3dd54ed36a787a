import * as Effect from "effect/Effect"
import * as Http from "node:http"
import type * as Net from "node:net"

/** One exchange as the proxy forwards it: the request, and the upstream's reply, which `tamper` may rewrite. */
export interface Exchange {
  readonly method: string
  readonly path: string
  readonly requestBody: string
  readonly status: number
  readonly body: string
}

/**
 * A hostile server on 127.0.0.1: it forwards every request to `upstream` (an emulator's origin) and answers with
 * what `tamper` makes of the reply (`undefined`: the reply as it came), after `delayMillis` if it says so. It closes
 * its connections with the scope.
 */
export const start = (
  upstream: string,
  tamper: (exchange: Exchange) => { status: number; body: string; delayMillis?: number } | undefined
) =>
  Effect.acquireRelease(
    Effect.async<{ readonly origin: string; readonly server: Http.Server }>((resume) => {
      const server = Http.createServer((request, response) => {
        const parts: Array<Buffer> = []
        request.on("data", (part: Buffer) => parts.push(part))
        request.on("end", () => {
          const requestBody = Buffer.concat(parts)
          const headers = { ...request.headers }
          delete headers.host
          const forwarded = Http.request(
            `${upstream}${request.url}`,
            { method: request.method, headers: { ...headers, "content-length": String(requestBody.length) } },
            (reply) => {
              const replyParts: Array<Buffer> = []
              reply.on("data", (part: Buffer) => replyParts.push(part))
              reply.on("end", () => {
                const exchange: Exchange = {
                  method: request.method ?? "",
                  path: request.url ?? "",
                  requestBody: requestBody.toString("utf8"),
                  status: reply.statusCode ?? 502,
                  body: Buffer.concat(replyParts).toString("utf8")
                }
                const answer = tamper(exchange) ?? exchange
                const out: Record<string, string> = {}
                for (const [name, value] of Object.entries(reply.headers)) {
                  if (typeof value === "string" && name !== "content-length" && name !== "transfer-encoding") {
                    out[name] = value
                  }
                }
                out["content-length"] = String(Buffer.byteLength(answer.body))
                setTimeout(() => {
                  response.writeHead(answer.status, out)
                  response.end(answer.body)
                }, "delayMillis" in answer ? answer.delayMillis ?? 0 : 0)
              })
            }
          )
          forwarded.on("error", () => response.destroy())
          forwarded.end(requestBody)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as Net.AddressInfo
        resume(Effect.succeed({ origin: `http://127.0.0.1:${port}`, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
