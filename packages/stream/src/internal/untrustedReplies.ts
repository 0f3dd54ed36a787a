/**
 * What a run does with replies that break the API's promises, so that a hostile or broken server can neither make
 * a run poll for ever nor lose an input's result without a word:
 *
 * - a collect reply is all-or-nothing (UBIOPS-WIRE §2.4): ids that were not asked for are ignored; an id that was
 *   asked for and left out is asked for again in the next rounds, each such reply reported with a warning, and once
 *   it was left out of more replies in a row than the run retries a poll round (`pollRetries` + 1), the run fails
 *   with a `DecodeError` naming it;
 * - a request id that the server gave to two inputs of a run (in different creates: core already refuses a create
 *   reply that repeats an id) fails the run with a `DecodeError` naming the later input, instead of one input's
 *   result standing for both: found while the earlier input's request is followed, or among the last
 *   `recentCapacity` requests that finished (a run of a million inputs does not keep every id).
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import type { PipelineTarget } from "@ubiops-effect/core/PipelineRequests"
import { DecodeError } from "@ubiops-effect/core/UbiOpsError"
import * as Effect from "effect/Effect"

const requestsPath = (target: PipelineTarget) => {
  const version = target.version === undefined ? "" : `/versions/${encodeURIComponent(target.version)}`
  return `/projects/${encodeURIComponent(target.project)}/pipelines/${encodeURIComponent(target.pipeline)}${version}`
}

/** The ids of one collect call left out of its reply, in a row: a run fails once one was left out `limit` times. */
export class CollectReplies {
  private readonly unanswered = new Map<string, number>()

  constructor(private readonly target: PipelineTarget, private readonly limit: number) {}

  /**
   * The details of a reply to `asked` that were asked for; fails when an id asked for has been left out of `limit`
   * replies in a row.
   */
  check(
    asked: ReadonlyArray<string>,
    reply: ReadonlyArray<PipelineRequestDetail>
  ): Effect.Effect<ReadonlyArray<PipelineRequestDetail>, DecodeError> {
    const wanted = new Set(asked)
    let foreign = 0
    let kept: Array<PipelineRequestDetail> | undefined
    for (let i = 0; i < reply.length; i++) {
      if (wanted.delete(reply[i].id)) {
        kept?.push(reply[i])
        continue
      }
      // an id not asked for, or one answered twice: the first answer stands
      foreign++
      kept ??= reply.slice(0, i)
    }
    if (this.unanswered.size > 0) { for (const id of asked) if (!wanted.has(id)) this.unanswered.delete(id) }
    if (foreign === 0 && wanted.size === 0) return Effect.succeed(reply)
    let worst: { id: string; times: number } | undefined
    for (const id of wanted) {
      const times = (this.unanswered.get(id) ?? 0) + 1
      this.unanswered.set(id, times)
      if (worst === undefined || times > worst.times) worst = { id, times }
    }
    const details = kept ?? reply
    const counts = `${foreign} id(s) that were not asked for (ignored) and leaves out ${wanted.size} of ${asked.length}`
    if (worst !== undefined && worst.times >= this.limit) {
      return Effect.fail(
        new DecodeError({
          operation: this.target.version === undefined ? "pipelineRequestsBatchGet" : "pipelineVersionRequestsBatchGet",
          method: "POST",
          path: `${requestsPath(this.target)}/requests/collect`,
          status: 200,
          issue: `the reply has ${counts}; request ${worst.id} was left out of ${worst.times} replies in a row`,
          bodyExcerpt: ""
        })
      )
    }
    return Effect.as(Effect.logWarning(`Batch: a collect reply has ${counts}; asking again`), details)
  }
}

/** The failure of a run whose server gave `id`, which an earlier input of the run holds, to the input at `index`. */
export const duplicateId = (target: PipelineTarget, id: string, index: number): DecodeError =>
  new DecodeError({
    operation: target.version === undefined ? "batchPipelineRequestsCreate" : "batchPipelineVersionRequestsCreate",
    method: "POST",
    path: `${requestsPath(target)}/requests/batch`,
    status: 201,
    issue: `the server gave request id ${id} to input ${index} and to an earlier input of the run: one result ` +
      "cannot stand for both",
    bodyExcerpt: ""
  })

/** How many ids of finished requests a run remembers to recognise one given again. */
export const recentCapacity = 20_000

/** The ids of the last requests that finished, oldest forgotten first. */
export class RecentIds {
  private readonly ids = new Set<string>()
  private readonly order: Array<string> = []
  private next = 0

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id)
  }

  add(id: string): void {
    if (this.order.length < this.capacity) {
      this.order.push(id)
    } else {
      this.ids.delete(this.order[this.next])
      this.order[this.next] = id
      this.next = (this.next + 1) % this.capacity
    }
    this.ids.add(id)
  }
}
