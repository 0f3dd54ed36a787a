/**
 * The progress of a batch run, observable while it goes: a `SubscriptionRef` of snapshots (its `changes` is a
 * `Stream`), and a renderer that draws a live bar on a terminal and prints periodic lines elsewhere.
 *
 * ```ts
 * import { Batch, Progress } from "@ubiops-effect/stream"
 * import { Effect, Fiber, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const progress = yield* Progress.make()
 *   const renderer = yield* Effect.fork(Progress.render(progress))
 *   yield* Batch.run(target, inputs, { progress }).pipe(Stream.runDrain)
 *   yield* Fiber.join(renderer) // returns once the last line is out
 * })
 * ```
 *
 * @since 1.0.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as Cancellation from "./Cancellation.js"

/**
 * Where a run is.
 *
 * @since 1.0.0
 * @category models
 */
export type Phase = "starting" | "running" | "completed" | "failed" | "interrupted"

/**
 * One view of a run.
 *
 * @since 1.0.0
 * @category models
 */
export interface Snapshot {
  readonly phase: Phase
  /** How many inputs there are, when known (an array, or the `total` option). */
  readonly total: number | undefined
  /** Requests created (or adopted from a checkpoint). */
  readonly submitted: number
  /** Submitted, not started yet (as last seen). */
  readonly pending: number
  /** Started, not finished (as last seen). */
  readonly processing: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
  /** Results emitted by the run's stream. */
  readonly emitted: number
  /** Finished requests per second over the last few seconds. */
  readonly resultsPerSecond: number
  readonly elapsedMillis: number
  /** What was done with the outstanding requests when the run stopped early. */
  readonly interruption: Cancellation.Report | undefined
}

/**
 * The progress of a run: pass it to `Batch.run` as `progress`, read it or follow its `changes`.
 *
 * @since 1.0.0
 * @category models
 */
export type Progress = SubscriptionRef.SubscriptionRef<Snapshot>

/**
 * @since 1.0.0
 * @category constants
 */
export const initial: Snapshot = {
  phase: "starting",
  total: undefined,
  submitted: 0,
  pending: 0,
  processing: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  emitted: 0,
  resultsPerSecond: 0,
  elapsedMillis: 0,
  interruption: undefined
}

/**
 * @since 1.0.0
 * @category constructors
 */
export const make = (options?: { readonly total?: number | undefined }): Effect.Effect<Progress> =>
  SubscriptionRef.make<Snapshot>({ ...initial, total: options?.total })

/**
 * How many requests finished.
 *
 * @since 1.0.0
 * @category utils
 */
export const finished = (snapshot: Snapshot): number => snapshot.completed + snapshot.failed + snapshot.cancelled

/**
 * Whether the run is over.
 *
 * @since 1.0.0
 * @category utils
 */
export const isDone = (snapshot: Snapshot): boolean =>
  snapshot.phase === "completed" || snapshot.phase === "failed" || snapshot.phase === "interrupted"

/**
 * A whole number with a comma between thousands (`50,000`), as `Intl.NumberFormat("en-US")` writes it, without
 * loading the ICU locale data that `Intl` needs (about 6 MB of resident memory in a Node process).
 *
 * @since 1.0.0
 * @category formatting
 */
export const formatCount = (count: number): string => {
  const digits = String(Math.round(Math.abs(count)))
  if (!/^\d+$/.test(digits)) return String(count)
  let grouped = digits.slice(0, (digits.length - 1) % 3 + 1)
  for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`
  return count < 0 ? `-${grouped}` : grouped
}

const clock = (millis: number): string => {
  const seconds = Math.max(0, Math.round(millis / 1000))
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const mm = String(m).padStart(2, "0")
  const ss = String(s).padStart(2, "0")
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

/**
 * One line describing a snapshot, with a bar of `barWidth` characters when the total is known (0: no bar).
 *
 * @since 1.0.0
 * @category formatting
 */
export const formatLine = (snapshot: Snapshot, barWidth = 0): string => {
  const done = finished(snapshot)
  const parts: Array<string> = []
  if (snapshot.total !== undefined && snapshot.total > 0) {
    const ratio = Math.min(1, done / snapshot.total)
    const bar = barWidth > 0 ? `[${"#".repeat(Math.round(ratio * barWidth)).padEnd(barWidth, ".")}] ` : ""
    parts.push(`${bar}${formatCount(done)}/${formatCount(snapshot.total)} ${Math.floor(ratio * 100)}%`)
  } else {
    parts.push(`${formatCount(done)} done`)
  }
  parts.push(`submitted ${formatCount(snapshot.submitted)}`)
  parts.push(`pending ${formatCount(snapshot.pending)}`)
  parts.push(`processing ${formatCount(snapshot.processing)}`)
  parts.push(
    `completed ${formatCount(snapshot.completed)} failed ${formatCount(snapshot.failed)} cancelled ${
      formatCount(snapshot.cancelled)
    }`
  )
  let timing = `${formatCount(snapshot.resultsPerSecond)}/s ${clock(snapshot.elapsedMillis)}`
  if (snapshot.total !== undefined && snapshot.resultsPerSecond > 0 && !isDone(snapshot)) {
    timing += ` ETA ${clock(((snapshot.total - done) / snapshot.resultsPerSecond) * 1000)}`
  }
  parts.push(timing)
  if (isDone(snapshot)) parts.push(snapshot.phase)
  return parts.join(" | ")
}

/**
 * Where the renderer writes: by default the process's standard error, when there is one.
 *
 * @since 1.0.0
 * @category models
 */
export interface Output {
  readonly write: (text: string) => unknown
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

const defaultOutput = (): Output | undefined => {
  const stderr = (globalThis as { process?: { stderr?: Output } }).process?.stderr
  return stderr === undefined ? undefined : stderr
}

/**
 * @since 1.0.0
 * @category models
 */
export interface RenderOptions {
  readonly output?: Output | undefined
  /** How often to redraw on a terminal (default 200 ms). */
  readonly redrawEvery?: number | undefined
  /** How often to print a line elsewhere (default 10 s). */
  readonly lineEvery?: number | undefined
}

/**
 * Draws the progress until the run is over: on a terminal, a bar redrawn in place every `redrawEvery`; elsewhere
 * (a log file, CI), one line every `lineEvery`. It follows the progress's `changes`, so the last line is printed as
 * soon as the run reaches its final phase (`completed`, `failed` or `interrupted`), not at the next tick; then it
 * ends by itself, so it can be joined after the run. Interrupted once the run is over (a fiber forked with
 * `Effect.fork` whose parent ended) before it printed that line, it prints it then. Fork it next to the run.
 *
 * @since 1.0.0
 * @category rendering
 */
export const render = (progress: Progress, options?: RenderOptions): Effect.Effect<void> => {
  const output = options?.output ?? defaultOutput()
  if (output === undefined) return Effect.void
  const tty = output.isTTY === true
  const every = tty ? options?.redrawEvery ?? 200 : options?.lineEvery ?? 10_000
  const draw = (snapshot: Snapshot) =>
    Effect.sync(() => {
      if (tty) {
        const width = Math.max(40, output.columns ?? 100)
        let line = formatLine(snapshot, 20)
        if (line.length > width - 1) line = line.slice(0, width - 1)
        output.write(`\r\u001b[2K${line}${isDone(snapshot) ? "\n" : ""}`)
      } else {
        output.write(`${formatLine(snapshot)}\n`)
      }
    })
  // The periodic lines: the latest snapshot, at most once per `every`; a final one is left to `last`.
  const periodic: Effect.Effect<never> = SubscriptionRef.get(progress).pipe(
    Effect.flatMap((snapshot) => isDone(snapshot) ? Effect.void : draw(snapshot)),
    Effect.zipLeft(Effect.sleep(every)),
    Effect.forever
  )
  // The first final snapshot, as soon as it is published (`changes` starts with the current value).
  const last: Effect.Effect<Option.Option<Snapshot>> = Stream.runHead(Stream.filter(progress.changes, isDone))
  const lastIfOver = Effect.flatMap(
    SubscriptionRef.get(progress),
    (snapshot) => isDone(snapshot) ? draw(snapshot) : Effect.void
  )
  return Effect.uninterruptibleMask((restore) =>
    restore(Effect.race(last, periodic)).pipe(
      Effect.onInterrupt(() => lastIfOver),
      Effect.flatMap(Option.match({ onNone: () => lastIfOver, onSome: draw }))
    )
  )
}
