/**
 * The progress line of a batch run on standard error: `Progress.formatLine` of the run's counts, with a clock that
 * keeps running while the counts stand still, and what the run waits for when it waits (see `Waiting`). Redrawn in
 * place on a terminal, a line every 10 s otherwise; the last line once the run is over.
 *
 * @since 1.0.0
 */
import * as Progress from "@ubiops-effect/stream/Progress"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"

/**
 * @since 1.0.0
 * @category models
 */
export interface Options {
  /** When the job started (its clock). */
  readonly startedAt: number
  /** What the run waits for now, if anything. */
  readonly waiting?: ((now: number) => string | undefined) | undefined
  readonly output?: Progress.Output | undefined
}

/**
 * The text of the line at `now`.
 *
 * @since 1.0.0
 * @category formatting
 */
export const format = (snapshot: Progress.Snapshot, now: number, options: Options, barWidth = 0): string => {
  const line = Progress.formatLine({ ...snapshot, elapsedMillis: now - options.startedAt }, barWidth)
  const waiting = Progress.isDone(snapshot) ? undefined : options.waiting?.(now)
  return waiting === undefined ? line : `${line} | ${waiting}`
}

/**
 * Draws the progress until the run is over, then its last line.
 *
 * @since 1.0.0
 * @category constructors
 */
export const render = (progress: Progress.Progress, options: Options): Effect.Effect<void> => {
  const output = options.output ?? process.stderr
  const tty = output.isTTY === true
  const every = tty ? 200 : 10_000
  const draw = (snapshot: Progress.Snapshot) =>
    Effect.sync(() => {
      const now = Date.now()
      if (tty) {
        const width = Math.max(40, output.columns ?? 100)
        let line = format(snapshot, now, options, 20)
        if (line.length > width - 1) line = line.slice(0, width - 1)
        output.write(`\r\u001b[2K${line}${Progress.isDone(snapshot) ? "\n" : ""}`)
      } else {
        output.write(`${format(snapshot, now, options)}\n`)
      }
    })
  const periodic: Effect.Effect<never> = SubscriptionRef.get(progress).pipe(
    Effect.flatMap((snapshot) => Progress.isDone(snapshot) ? Effect.void : draw(snapshot)),
    Effect.zipLeft(Effect.sleep(every)),
    Effect.forever
  )
  const last = Stream.runHead(Stream.filter(progress.changes, Progress.isDone))
  const lastIfOver = Effect.flatMap(
    SubscriptionRef.get(progress),
    (snapshot) => Progress.isDone(snapshot) ? draw(snapshot) : Effect.void
  )
  return Effect.uninterruptibleMask((restore) =>
    restore(Effect.race(last, periodic)).pipe(
      Effect.onInterrupt(() => lastIfOver),
      Effect.flatMap(Option.match({ onNone: () => lastIfOver, onSome: draw }))
    )
  )
}
