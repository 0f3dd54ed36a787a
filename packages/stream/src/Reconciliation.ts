/**
 * Exactly-once submission: what a run does when a batch create fails without telling whether the server accepted
 * it (the connection dropped, the deadline passed, a 5xx or an unreadable answer), and when it resumes a chunk whose
 * create was under way when the previous run stopped.
 *
 * Creating again blindly would run those inputs twice; giving up would lose them. Instead the run finds out what
 * the server accepted and adopts it:
 *
 * 1. The window. A request the create made was created (server time) between the local times the create was sent
 *    and its failure came back, converted with what the run knows of the clock offset (the bounds learnt from
 *    earlier creates, see `Estimates`), widened by `margin` and rounded out to whole seconds. Before any create
 *    succeeded the offset is unknown and the window is widened by `unknownSkew` on both sides. On resume the end is
 *    unknown (the process died): it is the last attempt plus `horizon`, or now if that is sooner.
 * 2. The listing. The list endpoint is read in the window (`start_date`/`end_date`), in pages of 50, in three
 *    calls that follow the status machine: `pending`, then `processing`, then `completed,failed,cancelled` (pending
 *    and processing cannot be combined with other statuses). A request that changes status between two calls moves to
 *    a group read later. Offset paging can skip an item when items before it leave the group while it is read
 *    (queues are first in, first out, so this takes a group of more than one page whose newer items finish first):
 *    when a non-terminal group took more than one page, the whole listing is read again, until nothing new appears.
 * 3. Leaving out what is ours already. Requests the run knows (created by its other chunks, adopted, or recorded in
 *    the checkpoint) are left out. The others are collected (250 ids a call) for their `request_data`, as soon as
 *    there are as many as inputs to place; the listing stops once every input has a match.
 * 4. Matching. The other chunks of the run go on creating while a chunk lists; the matching itself waits until the
 *    creates of the run that were in flight when the listing ended have ended (a create sent later cannot have made
 *    a request the listing saw), so that the requests of every create of the run that could appear in the listing
 *    are known by then, and left out. The rest
 *    are matched against the inputs not yet placed, as canonical JSON (object keys sorted) and as a multiset: two
 *    identical inputs match two requests with that data, one each. If a request the listing stopped on went to
 *    another chunk meanwhile, the chunk lists again.
 * 5. Adopting and creating the rest. Matched inputs take the matched request ids. The inputs left are created again
 *    (the same steps if that fails ambiguously too, up to `maxAttempts` creates). The ids of the chunk are recorded
 *    in the checkpoint as for any create. (A create refused for sure, by a rate limit or a refused connection that
 *    outlasted the client's retries, made nothing: it is made again within the same attempts, while the client's
 *    retry budget pays for it.)
 *
 * The list and collect calls only read: one that failed after the client's own retries (a 5xx, a lost connection, a
 * rate limit, a 408 or an attempt's deadline: core's `RetryPolicy.isRetryable` for an idempotent call; not an answer
 * that could not be read) is made again up to 3 times, after about 0.5, 1 and 2 s (or later, when a rate limit
 * asks), each retry paid from the client's `RetryBudget` like the client's own: once the budget is spent, the read
 * fails.
 *
 * Interrupted, a chunk sends no new create; a create in flight may finish, and if it failed ambiguously the chunk
 * looks only at pending and processing requests (what must be cancelled), without waiting for the other creates.
 *
 * Limits, and what is done about them:
 * - Another client (or another run in this process) that submits the same data to the same pipeline in the same
 *   window can have its request adopted. The input then gets that request's result: a result for the same data,
 *   but that other client follows the same request. Give each input something unique (an id field) to rule it out.
 * - Identical inputs within a run are interchangeable: an input can be given the request created for an identical
 *   input of another chunk that a previous run already emitted. No request is created twice and no input goes without
 *   a result; two results can then carry the same request id.
 * - Retention `metadata` or `none` on the pipeline version (`request_retention_mode`): `request_data` is null,
 *   nothing can be matched. When requests that might be ours are in the window and cannot be read, adopting is not
 *   possible and creating again might run inputs twice: by default (`onUncertain: "fail"`) the run fails with
 *   `UncertainCreate`, naming the inputs and how many requests could not be read, after cancelling what it knows; the
 *   checkpoint keeps the intent, and resuming with `onUncertain: "resubmit"` creates them again (at least once: never
 *   lost, perhaps run twice). With `onUncertain: "report"`, `Batch.run` goes on and gives each of those inputs a
 *   result of its own, `Unconfirmed` (no request id: it may or may not run on the server; a resumed run reports it
 *   again), so that every input has a typed outcome and none is created twice. Under `metadata`, when no unreadable request is in the window, nothing was accepted and
 *   creating again is safe. Under `none` a request is forgotten as soon as it finishes, so a listing that shows
 *   nothing proves nothing: declare it (`retention: "none"`) and every input of an ambiguous create that is not
 *   matched is uncertain in the same way, never created again by a guess. The requests API does not tell the mode;
 *   undeclared, `full` (UbiOps' default) is assumed until the run reads one of its own requests without its
 *   `request_data` or finds one gone, and `none` from then on. Before that, an ambiguous create under `none` whose
 *   requests finished before the listing has its inputs created again.
 * - A create that the server accepts after the client gave up on it and after the listing (a server that takes
 *   longer than the attempt deadline to accept a batch) is not seen: its inputs run twice.
 * - A request deleted (or dropped by retention) before the listing cannot be found: its input is created again,
 *   which is what it needs, as its result is gone.
 *
 * @since 1.0.0
 */
import type { PipelineRequestDetail } from "@ubiops-effect/core/Models"
import {
  PipelineRequests,
  type PipelineTarget,
  type ReadError,
  type RequestData
} from "@ubiops-effect/core/PipelineRequests"
import * as RetryPolicy from "@ubiops-effect/core/RetryPolicy"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { find } from "./internal/findAccepted.js"
import * as matching from "./internal/matching.js"
import type * as Reconciler from "./internal/reconciler.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface Options {
  /** Added on both sides of the window (default 200 ms), which is then rounded out to whole seconds (a server that
   * reads `start_date`/`end_date` to the second still covers it). */
  readonly margin?: Duration.DurationInput | undefined
  /** How far apart the clocks of client and server may be before the run has measured it (default 5 min). */
  readonly unknownSkew?: Duration.DurationInput | undefined
  /** On resume, how long after it was sent a create of the previous run may have been accepted (default 5 min: the
   * client's call deadline and rate-limit waits). */
  readonly horizon?: Duration.DurationInput | undefined
  /** Creates of one chunk that may fail ambiguously (or with a rate limit or a refused connection that outlasted the
   * client's retries) before the run fails (default 8). */
  readonly maxAttempts?: number | undefined
  /** When it cannot be told whether inputs were accepted: `fail` (default: the run fails with `UncertainCreate`),
   * `resubmit` (created again: at least once, perhaps twice) or `report` (`Batch.run` gives each such input an
   * `Unconfirmed` result and goes on; `Batch.submit` fails as with `fail`). */
  readonly onUncertain?: "fail" | "resubmit" | "report" | undefined
  /** The pipeline version's `request_retention_mode`. With `none`, the inputs of an ambiguous create that no listed
   * request matches are uncertain (see `onUncertain`) instead of created again. Undeclared: `full` until the run sees
   * one of its own requests without data or gone, then `none`. */
  readonly retention?: "full" | "metadata" | "none" | undefined
}

/**
 * The defaults of the options.
 *
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  margin: Duration.millis(200),
  unknownSkew: Duration.minutes(5),
  horizon: Duration.minutes(5),
  maxAttempts: 8,
  onUncertain: "fail",
  retention: "full"
} as const

/**
 * Some inputs of a chunk may or may not have been accepted by the server, and it cannot be told which: requests in
 * the window could not be read (`request_data` null, as with retention `none` or `metadata`), or, with retention
 * `none`, requests that finished are no longer listed.
 *
 * @since 1.0.0
 * @category errors
 */
export class UncertainCreate extends Data.TaggedError("UncertainCreate")<{
  readonly target: PipelineTarget
  /** The positions of the inputs concerned. */
  readonly indices: ReadonlyArray<number>
  /** Requests in the window whose data could not be read. */
  readonly unreadable: number
  /** The retention declared for the pipeline version (`Options.retention`). */
  readonly retention?: "full" | "metadata" | "none" | undefined
}> {
  override get message() {
    const first = this.indices.slice(0, 5).join(", ")
    const more = this.indices.length > 5 ? `, ... (${this.indices.length} in all)` : ""
    const why = this.retention === "none"
      ? `the pipeline version keeps no requests (retention none), so one accepted and finished is not listed` +
        (this.unreadable > 0 ? ` (and ${this.unreadable} listed request(s) have no readable request_data)` : "")
      : `${this.unreadable} request(s) created meanwhile have no readable request_data (retention?)`
    return `${this.target.project}/${this.target.pipeline}: cannot tell whether inputs ${first}${more} were accepted: ` +
      `${why}; nothing was created again (onUncertain: "resubmit" would create them again, perhaps twice)`
  }
}

/**
 * A batch create's reply that does not pair with the inputs sent: the ids come back in a list that no document
 * promises is in input order, and where the reply carries `request_data`, an item carried another input's data. The
 * run fails instead of attaching results to the wrong inputs; the chunk's requests are cancelled with the run.
 *
 * @since 1.0.0
 * @category errors
 */
export class MismatchedCreate extends Data.TaggedError("MismatchedCreate")<{
  readonly target: PipelineTarget
  /** The position, in its chunk, of the first input whose request carried other data. */
  readonly position: number
  readonly requestId: string
}> {
  override get message() {
    return `${this.target.project}/${this.target.pipeline}: the batch create's reply does not pair with its inputs: ` +
      `request ${this.requestId}, at position ${this.position}, carries the data of another input`
  }
}

/**
 * JSON with object keys sorted, after what `JSON.stringify` does (`toJSON`, `undefined` left out): two values
 * that the server stores as the same JSON give the same text.
 *
 * @since 1.0.0
 * @category matching
 */
export const canonicalJson: (value: unknown) => string = matching.canonicalJson

/**
 * What the server holds of a set of inputs.
 *
 * @since 1.0.0
 * @category models
 */
export interface Found {
  /** For each input, the id of the request adopted for it, or undefined. */
  readonly ids: ReadonlyArray<string | undefined>
  /** Requests in the window, not excluded, whose data could not be read. */
  readonly unreadable: number
  /** The requests read for their data (those not excluded when they were listed). */
  readonly candidates: ReadonlyArray<PipelineRequestDetail>
  /** Requests listed in the window (excluded ones included). */
  readonly listed: number
  /** List and collect calls made. */
  readonly calls: number
}

/**
 * @since 1.0.0
 * @category models
 */
export interface FindOptions {
  /** The window, in server time: requests created from `from` to `to` (inclusive). */
  readonly from: Date
  readonly to: Date
  /** Requests not to adopt (already taken). */
  readonly exclude?: ((id: string) => boolean) | undefined
  /** While this holds, finished requests are not looked for: only pending and processing ones (what an interrupted
   * run must cancel). */
  readonly unfinishedOnly?: Effect.Effect<boolean> | undefined
}

/**
 * Finds, among the requests of `target` created in the window, those whose `request_data` equals an input of `data`
 * (canonical JSON, one request per input), leaving out the excluded ones. Lists with `status`, `start_date`,
 * `end_date` and pages of 50, then collects the candidates for their data. Idempotent: it only reads.
 *
 * @since 1.0.0
 * @category reconciliation
 */
export const findAccepted = (
  target: PipelineTarget,
  data: ReadonlyArray<RequestData>,
  options: FindOptions
): Effect.Effect<Found, ReadError, PipelineRequests> =>
  Effect.flatMap(PipelineRequests, (service) => find(service, target, data, options))

/**
 * Matches inputs against requests by canonical JSON, as a multiset: each request is given to at most one input with
 * the same data. Among requests with the same data, those not cancelled come first, then the oldest.
 *
 * @since 1.0.0
 * @category matching
 */
export const match: (
  data: ReadonlyArray<RequestData>,
  details: ReadonlyArray<Pick<PipelineRequestDetail, "id" | "request_data" | "status" | "time_created">>
) => { readonly ids: ReadonlyArray<string | undefined>; readonly unreadable: number } = matching.match

/**
 * @deprecated The machinery of `Batch.run`, not meant for users: it is internal now.
 * @since 1.0.0
 * @category models
 */
export type Created = Reconciler.Created

/**
 * @deprecated The machinery of `Batch.run`, not meant for users: it is internal now.
 * @since 1.0.0
 * @category models
 */
export type Leftovers = Reconciler.Leftovers

/**
 * Whether a failed create may have created requests on the server: the same rule as core's
 * `RetryPolicy.mayHaveReachedServer`.
 *
 * @deprecated Use `RetryPolicy.mayHaveReachedServer` from `@ubiops-effect/core`.
 * @since 1.0.0
 * @category reconciliation
 */
export const mayHaveCreated: (error: ReadError) => boolean = RetryPolicy.mayHaveReachedServer

/**
 * Whether a failed read may succeed if made again later: core's `RetryPolicy.isRetryable` for an idempotent call
 * (a rate limit, a lost connection, a 5xx, a 408 or an attempt's deadline; never a `DecodeError` or a call's own
 * deadline).
 *
 * @deprecated Use `RetryPolicy.isRetryable(error, { idempotent: true })` from `@ubiops-effect/core`.
 * @since 1.0.0
 * @category reconciliation
 */
export const isTransient = (error: ReadError): boolean => RetryPolicy.isRetryable(error, { idempotent: true })
