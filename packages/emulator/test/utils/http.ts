/**
 * Raw HTTP against a running emulator: what goes over the wire, with no client library in between.
 */
import * as Effect from "effect/Effect"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: any
}

export interface Call {
  readonly method?: string
  readonly body?: string | Uint8Array | undefined
  readonly headers?: Record<string, string>
  /** The token to send as `Token <t>`; `null` sends no Authorization header. */
  readonly token?: string | null
}

export const send = (origin: string, token: string) => (path: string, call: Call = {}): Effect.Effect<Reply> =>
  Effect.promise(async () => {
    const headers: Record<string, string> = { ...call.headers }
    const sent = call.token === undefined ? token : call.token
    if (sent !== null && headers.authorization === undefined) headers.authorization = `Token ${sent}`
    if (call.body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json"
    const response = await fetch(`${origin}${path}`, {
      method: call.method ?? (call.body === undefined ? "GET" : "POST"),
      headers,
      body: call.body as BodyInit | undefined ?? null,
      signal: AbortSignal.timeout(20_000)
    })
    const text = await response.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  })

/** Sends and expects the connection to close with no response. */
export const sendExpectingNoResponse = (origin: string, token: string) => (path: string, body: string) =>
  Effect.promise(() =>
    fetch(`${origin}${path}`, {
      method: "POST",
      headers: { authorization: `Token ${token}`, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(20_000)
    }).then(
      (response) => ({ answered: true as const, status: response.status }),
      (error: unknown) => ({ answered: false as const, error: String((error as Error).cause ?? error) })
    )
  )
