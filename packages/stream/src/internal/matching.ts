/**
 * Matching inputs against requests by their data: canonical JSON (object keys sorted), as a multiset.
 */
import type { PipelineRequestBatchCreateResponse, PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { RequestData } from "@ubiops-effect/core/PipelineRequests"

/** JSON with object keys sorted, after what `JSON.stringify` does (`toJSON`, `undefined` left out). */
export const canonicalJson = (value: unknown): string => {
  const plain: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value) ?? "null")
  return write(plain)
}

const write = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(write).join(",")}]`
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key])}`).join(",")}}`
}

export type Candidate = Pick<PipelineRequestDetail, "id" | "request_data" | "status" | "time_created">

/** Places inputs on requests with the same data, one each, as requests are offered. */
export class Matcher {
  readonly ids: Array<string | undefined>
  /** Inputs not placed yet. */
  left: number
  /** Requests offered whose data could not be read. */
  unreadable = 0
  private readonly waiting = new Map<string, Array<number>>()

  constructor(data: ReadonlyArray<RequestData>) {
    this.ids = new Array<string | undefined>(data.length)
    this.left = data.length
    for (let i = 0; i < data.length; i++) {
      const key = canonicalJson(data[i])
      const same = this.waiting.get(key)
      if (same === undefined) this.waiting.set(key, [i])
      else same.push(i)
    }
  }

  /** Requests not cancelled come first, then the oldest. */
  offer(details: ReadonlyArray<Candidate>): void {
    const ordered = [...details].sort((a, b) =>
      Number(a.status === "cancelled") - Number(b.status === "cancelled") ||
      (a.time_created < b.time_created ? -1 : a.time_created > b.time_created ? 1 : 0)
    )
    for (const detail of ordered) {
      if (detail.request_data === null || detail.request_data === undefined) {
        this.unreadable++
        continue
      }
      const same = this.waiting.get(canonicalJson(detail.request_data))
      if (same === undefined || same.length === 0) continue
      this.ids[same.shift()!] = detail.id
      this.left--
    }
  }
}

/**
 * Where a batch create's reply does not pair with the inputs sent, by position: the first item that carries
 * `request_data` other than its input's. Items without `request_data` (the documented reply) cannot be checked.
 * The one place that checks a create reply against its inputs.
 */
export const replyMismatch = (
  data: ReadonlyArray<RequestData>,
  replies: ReadonlyArray<Pick<PipelineRequestBatchCreateResponse, "id" | "request_data">>
): { readonly position: number; readonly requestId: string } | undefined => {
  for (let i = 0; i < replies.length; i++) {
    const sent = replies[i].request_data
    if (sent === null || sent === undefined) continue
    if (canonicalJson(sent) !== canonicalJson(data[i])) return { position: i, requestId: replies[i].id }
  }
  return undefined
}

/** Matches inputs against requests, each request given to at most one input with the same data. */
export const match = (
  data: ReadonlyArray<RequestData>,
  details: ReadonlyArray<Candidate>
): { readonly ids: ReadonlyArray<string | undefined>; readonly unreadable: number } => {
  const matcher = new Matcher(data)
  matcher.offer(details)
  return { ids: matcher.ids, unreadable: matcher.unreadable }
}
