/**
 * Finding what the server holds of a set of inputs in a time window: the list endpoint read by status group
 * (`pending`, `processing`, then the terminal statuses), the candidates collected for their data, and matched
 * (see `Reconciliation`, steps 2 and 3).
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { PipelineTarget, ReadError, RequestData, Service } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import type { FindOptions, Found } from "../Reconciliation.js"
import { collectExisting } from "./collectExisting.js"
import { maxItemsPerCall, maxPageSize } from "./limits.js"
import { Matcher } from "./matching.js"
import * as retries from "./retries.js"

const maxSweeps = 4
const pagesAtOnceWhenHurried = 4
const statusGroups = [["pending"], ["processing"], ["completed", "failed", "cancelled"]] as const

/**
 * The requests of `target` created in the window whose `request_data` equals an input of `data` (one request per
 * input), leaving out the excluded ones. Idempotent: it only reads.
 */
export const find = (
  service: Service,
  target: PipelineTarget,
  data: ReadonlyArray<RequestData>,
  options: FindOptions
): Effect.Effect<Found, ReadError> =>
  Effect.gen(function*() {
    const retryRead = retries.retryRead(service)
    let calls = 0
    const matcher = new Matcher(data)
    const seen = new Set<string>()
    let toCollect: Array<string> = []
    const candidates: Array<PipelineRequestDetail> = []
    // the format the official CLI sends, to the second (the window is rounded out to whole seconds)
    const startDate = secondsFormat(options.from)
    const endDate = secondsFormat(options.to)
    const exclude = options.exclude

    const flush = Effect.gen(function*() {
      const groups: Array<ReadonlyArray<string>> = []
      for (let start = 0; start < toCollect.length; start += maxItemsPerCall) {
        groups.push(toCollect.slice(start, start + maxItemsPerCall))
      }
      toCollect = []
      const hurried = options.unfinishedOnly !== undefined && (yield* options.unfinishedOnly)
      yield* Effect.forEach(groups, (group) =>
        Effect.map(
          collectExisting((ids) => retryRead(service.collect(target, ids)), group),
          (read) => {
            calls += read.calls
            matcher.offer(read.details)
            candidates.push(...read.details)
          }
        ), { concurrency: hurried ? pagesAtOnceWhenHurried : 1, discard: true })
    })

    /** One status group, page by page, collecting candidates as soon as there are as many as inputs to place. */
    const readGroup = (status: ReadonlyArray<"pending" | "processing" | "completed" | "failed" | "cancelled">) =>
      Effect.gen(function*() {
        let offset = 0
        let pages = 0
        let fresh = 0
        const terminal = status.length > 1
        for (;;) {
          const hurried = options.unfinishedOnly !== undefined && (yield* options.unfinishedOnly)
          if (terminal && hurried) break
          // an interrupted run has seconds to find what to cancel: it reads several pages at a time
          const count = hurried ? pagesAtOnceWhenHurried : 1
          calls += count
          const read = yield* Effect.forEach(
            Array.from({ length: count }, (_, k) => offset + k * maxPageSize),
            (at) => retryRead(service.list(target, { status, startDate, endDate, limit: maxPageSize, offset: at })),
            { concurrency: count }
          )
          let last = 0
          for (const page of read) {
            pages++
            last = page.length
            for (const item of page) {
              if (seen.has(item.id)) continue
              seen.add(item.id)
              fresh++
              if (exclude === undefined || !exclude(item.id)) toCollect.push(item.id)
            }
            if (page.length < maxPageSize) break
          }
          if (toCollect.length >= Math.min(maxItemsPerCall, matcher.left)) yield* flush
          if (matcher.left === 0 || last < maxPageSize) break
          offset += count * maxPageSize
        }
        yield* flush
        return { paged: pages > 1, fresh }
      })

    for (let sweep = 0; sweep < maxSweeps && matcher.left > 0; sweep++) {
      let paged = false
      let fresh = 0
      for (const group of statusGroups) {
        if (matcher.left === 0) break
        const read = yield* readGroup(group)
        paged ||= read.paged && group.length === 1
        fresh += read.fresh
      }
      // one page per non-terminal group cannot skip anything; otherwise read again until nothing new shows up
      if (!paged || (sweep > 0 && fresh === 0)) break
    }
    return { ids: matcher.ids, unreadable: matcher.unreadable, candidates, listed: seen.size, calls }
  })

const pad = (n: number) => String(n).padStart(2, "0")

/** `%Y-%m-%dT%H:%M:%SZ`, as the official CLI sends dates. */
const secondsFormat = (date: Date) =>
  `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${
    pad(date.getUTCMinutes())
  }:${pad(date.getUTCSeconds())}Z`
