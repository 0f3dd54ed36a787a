/**
 * The reference batch run: what `Batch.run` does, written as plain async code over the raw undici client.
 *
 * Inputs are pulled lazily from an iterable in chunks of `chunkSize`; a chunk is created once its inputs fit in
 * the window (`window` requests created and not yet emitted), with at most `concurrency` creates in flight.
 * A poll loop runs beside it with the same rule as `Batch.run` (the stream package's `PollingRule`, which imports
 * nothing, so the reference loads no Effect): each round waits as the schedule
 * says, polls the ids the window plans (at most `pollConcurrency` collects of at most 250 ids, at once), and hands
 * the finished requests to the consumer in one array per round, in completion order.
 */
import {
  defaultSchedule,
  Estimates,
  Pacer,
  type ScheduleOptions,
  Tracked,
  Window
} from "@ubiops-effect/stream/PollingRule"
import type { Detail, ReferenceClient, Target } from "./http.js"

export interface BatchOptions {
  readonly chunkSize: number
  readonly concurrency: number
  readonly pollConcurrency: number
  readonly window: number
  readonly schedule?: ScheduleOptions | undefined
}

export const defaultOptions: BatchOptions = { chunkSize: 250, concurrency: 4, pollConcurrency: 4, window: 2000 }

export interface Result<I> {
  readonly status: string
  readonly index: number
  readonly input: I
  readonly requestId: string
  readonly detail: Detail
  readonly output: unknown
  readonly errorMessage: string | null
}

interface Accepted<I> {
  readonly start: number
  readonly inputs: ReadonlyArray<I>
  readonly ids: ReadonlyArray<string>
  readonly created: number
  readonly sentAt: number
  readonly receivedAt: number
}

/** A counting semaphore, first come first served. */
class Permits {
  private waiters: Array<{ readonly count: number; readonly resume: () => void }> = []
  constructor(private available: number) {}

  take(count: number): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.available >= count) {
      this.available -= count
      return undefined
    }
    return new Promise((resume) => this.waiters.push({ count, resume }))
  }

  release(count: number): void {
    this.available += count
    while (this.waiters.length > 0 && this.available >= this.waiters[0].count) {
      const waiter = this.waiters.shift()!
      this.available -= waiter.count
      waiter.resume()
    }
  }
}

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

/** Runs the batch; resolves when every input has been emitted, rejects on the first API error. */
export const runBatch = async <I>(
  client: ReferenceClient,
  target: Target,
  inputs: Iterable<I>,
  options: BatchOptions,
  onResults: (results: ReadonlyArray<Result<I>>) => void
): Promise<void> => {
  const permits = new Permits(options.window)
  const schedule = options.schedule ?? defaultSchedule
  const window = new Window<I, Detail>(new Estimates(), schedule, 250)
  const driver = new Pacer(schedule)
  const mailbox: Array<Accepted<I>> = []
  let ended = false
  let failure: { readonly error: unknown } | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const resume = wake
    wake = undefined
    resume?.()
  }

  const submit = async () => {
    const iterator = inputs[Symbol.iterator]()
    const inFlight = new Set<Promise<void>>()
    let start = 0
    for (;;) {
      const chunk: Array<I> = []
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        chunk.push(next.value)
        if (chunk.length === options.chunkSize) break
      }
      if (chunk.length === 0) break
      const first = start
      start += chunk.length
      const wait = permits.take(chunk.length)
      if (wait !== undefined) await wait
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight)
      if (failure !== undefined) return
      const create = (async () => {
        const sentAt = Date.now()
        const created = await client.createBatch(target, chunk)
        const receivedAt = Date.now()
        const ids = new Array<string>(created.length)
        for (let i = 0; i < created.length; i++) ids[i] = created[i].id
        mailbox.push({
          start: first,
          inputs: chunk,
          ids,
          created: created.length === 0 ? Number.NaN : Date.parse(created[0].time_created),
          sentAt,
          receivedAt
        })
        notify()
      })().catch((error: unknown) => {
        failure ??= { error }
        notify()
      }).finally(() => inFlight.delete(create))
      inFlight.add(create)
    }
    await Promise.all(inFlight)
  }

  const drain = () => {
    for (let m = 0; m < mailbox.length; m++) {
      const accepted = mailbox[m]
      window.estimates.observeCreate(accepted.created, accepted.sentAt, accepted.receivedAt)
      let duplicates = 0
      for (let i = 0; i < accepted.ids.length; i++) {
        const tracked = new Tracked<I, Detail>(
          accepted.ids[i],
          accepted.start + i,
          accepted.inputs[i],
          0,
          accepted.created
        )
        if (!window.add(tracked)) duplicates++
      }
      if (duplicates > 0) permits.release(duplicates)
    }
    mailbox.length = 0
  }

  const poll = async () => {
    let last = { polled: 0, finished: 0, predictedMillis: undefined as number | undefined }
    for (;;) {
      if (failure !== undefined) throw failure.error
      drain()
      if (window.size === 0) {
        if (ended) return
        await new Promise<void>((resume) => (wake = resume))
        last = { polled: 0, finished: 0, predictedMillis: undefined }
        continue
      }
      const delay = driver.next({ ...last, predictedMillis: window.predictedDelay(Date.now()) })
      if (delay > 0) await sleep(delay)
      drain()
      const groups = window.plan(Date.now(), options.pollConcurrency)
      const responses = groups.length === 1
        ? [await client.collect(target, groups[0])]
        : await Promise.all(groups.map((ids) => client.collect(target, ids)))
      const receivedAt = Date.now()
      const results: Array<Result<I>> = []
      let polled = 0
      for (let g = 0; g < groups.length; g++) {
        polled += groups[g].length
        const finished = window.observe(responses[g], receivedAt)
        for (let i = 0; i < finished.length; i++) {
          const tracked = finished[i]
          const detail = tracked.detail!
          results.push({
            status: detail.status,
            index: tracked.index,
            input: tracked.input,
            requestId: tracked.id,
            detail,
            output: detail.status === "completed" ? detail.result : undefined,
            errorMessage: detail.status === "failed" ? detail.error_message : null
          })
        }
      }
      last = { polled, finished: results.length, predictedMillis: undefined }
      if (results.length > 0) {
        permits.release(results.length)
        onResults(results)
      }
    }
  }

  const submission = submit().then(
    () => {
      ended = true
      notify()
    },
    (error: unknown) => {
      failure ??= { error }
      notify()
    }
  )
  await poll()
  await submission
  if (failure !== undefined) throw failure.error
}
