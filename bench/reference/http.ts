/**
 * The reference client's transport: raw `undici` (one keep-alive `Agent`, `request()`, `JSON.parse`), no Effect,
 * no schema decoding. It sends the same headers as `@ubiops-effect/core` and paces itself on the server's
 * `x-ratelimit-*` headers (waiting for the window to reset when it is spent, and after a 429), which is the least
 * any client must do to survive a rate limit.
 */
import { Agent } from "undici"

export interface Target {
  readonly project: string
  readonly pipeline: string
}

export interface CreatedItem {
  readonly id: string
  readonly status: string
  readonly time_created: string
}

export interface Detail {
  readonly id: string
  readonly status: string
  readonly time_created: string
  readonly time_started: string | null
  readonly time_completed: string | null
  readonly result: unknown
  readonly error_message: string | null
  readonly [key: string]: unknown
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, readonly path: string) {
    super(`${status} from ${path}: ${body.slice(0, 200)}`)
  }
}

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

/** Paces calls on the server's rate-limit headers, counting calls in flight as spent. */
class Governor {
  private limit: number | undefined
  private remaining: number | undefined
  private resetAt: number | undefined
  private inFlight = 0

  async acquire(): Promise<void> {
    for (;;) {
      const now = Date.now()
      if (this.resetAt !== undefined && now >= this.resetAt) {
        this.resetAt = undefined
        this.remaining = this.limit === undefined ? undefined : Math.max(0, this.limit - this.inFlight)
      }
      if (this.remaining === undefined || this.remaining > 0) {
        if (this.remaining !== undefined) this.remaining--
        this.inFlight++
        return
      }
      if (this.resetAt === undefined) this.resetAt = now + 1000
      await sleep(Math.max(1, this.resetAt - now))
    }
  }

  release(headers: Record<string, string | Array<string> | undefined> | undefined, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1)
    if (headers === undefined) return
    const limit = Number(headers["x-ratelimit-limit"])
    const remaining = Number(headers["x-ratelimit-remaining"])
    const reset = Number(headers["x-ratelimit-reset"])
    if (headers["x-ratelimit-limit"] !== undefined && Number.isFinite(limit)) this.limit = limit
    if (headers["x-ratelimit-remaining"] !== undefined && Number.isFinite(remaining)) {
      this.remaining = Math.max(0, remaining - this.inFlight)
    }
    if (headers["x-ratelimit-reset"] !== undefined && Number.isFinite(reset)) this.resetAt = now + reset * 1000
  }

  rateLimited(resetSeconds: number, now: number): void {
    this.remaining = 0
    this.resetAt = Math.max(this.resetAt ?? 0, now + resetSeconds * 1000)
  }
}

export interface ReferenceClientOptions {
  /** The API root, e.g. `http://127.0.0.1:8080/v2.1`. */
  readonly baseUrl: string
  readonly token: string
}

export class ReferenceClient {
  readonly agent = new Agent()
  /** HTTP requests sent (every attempt). */
  calls = 0
  /** Of those, collect calls. */
  polls = 0
  /** 429 responses received. */
  rateLimited = 0
  private readonly origin: string
  private readonly root: string
  private readonly headers: Record<string, string>
  private readonly jsonHeaders: Record<string, string>
  private readonly governor = new Governor()

  constructor(options: ReferenceClientOptions) {
    const url = new URL(options.baseUrl)
    this.origin = url.origin
    this.root = url.pathname.replace(/\/$/, "")
    this.headers = {
      authorization: `Token ${options.token}`,
      "user-agent": "ubiops-bench-reference",
      accept: "application/json"
    }
    this.jsonHeaders = { ...this.headers, "content-type": "application/json" }
  }

  /** Sends one request and returns the parsed JSON body; waits and retries on 429. */
  async call(method: "GET" | "POST", path: string, body?: unknown, poll = false): Promise<unknown> {
    const text = body === undefined ? undefined : JSON.stringify(body)
    for (;;) {
      await this.governor.acquire()
      this.calls++
      if (poll) this.polls++
      let response
      try {
        response = await this.agent.request({
          origin: this.origin,
          path: this.root + path,
          method,
          headers: text === undefined ? this.headers : this.jsonHeaders,
          body: text ?? null
        })
      } catch (error) {
        this.governor.release(undefined, Date.now())
        throw error
      }
      const responseText = await response.body.text()
      const now = Date.now()
      this.governor.release(response.headers, now)
      if (response.statusCode === 429) {
        this.rateLimited++
        const reset = Number(response.headers["x-ratelimit-reset"] ?? 1)
        this.governor.rateLimited(Number.isFinite(reset) ? reset : 1, now)
        continue
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw new HttpError(response.statusCode, responseText, path)
      }
      return JSON.parse(responseText)
    }
  }

  private pipelinePath(target: Target): string {
    return `/projects/${encodeURIComponent(target.project)}/pipelines/${encodeURIComponent(target.pipeline)}`
  }

  createBatch(target: Target, data: ReadonlyArray<unknown>): Promise<Array<CreatedItem>> {
    return this.call("POST", `${this.pipelinePath(target)}/requests/batch`, data) as Promise<Array<CreatedItem>>
  }

  collect(target: Target, ids: ReadonlyArray<string>): Promise<Array<Detail>> {
    return this.call("POST", `${this.pipelinePath(target)}/requests/collect`, ids, true) as Promise<Array<Detail>>
  }

  get(target: Target, id: string): Promise<Detail> {
    return this.call("GET", `${this.pipelinePath(target)}/requests/${encodeURIComponent(id)}`) as Promise<Detail>
  }

  close(): Promise<void> {
    return this.agent.close()
  }
}
