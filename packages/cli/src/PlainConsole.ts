/**
 * Colour only for a person at a terminal: `@effect/cli` writes its help and errors with ANSI colour codes; where
 * standard output is not a terminal, or `NO_COLOR` is set (https://no-color.org), they are taken out.
 *
 * @since 1.0.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const ansiCodes = /\u001b\[[0-9;]*[A-Za-z]/g

/**
 * A text without its ANSI escape codes.
 *
 * @since 1.0.0
 * @category utils
 */
export const strip = (text: string): string => text.replace(ansiCodes, "")

/**
 * Whether colour should be written: standard output is a terminal and `NO_COLOR` is not set (or empty).
 *
 * @since 1.0.0
 * @category utils
 */
export const colourWanted = (): boolean =>
  process.stdout.isTTY === true && (process.env.NO_COLOR === undefined || process.env.NO_COLOR === "")

const plain = (args: ReadonlyArray<unknown>) => args.map((arg) => typeof arg === "string" ? strip(arg) : arg)

/**
 * Runs `effect` with a console that writes no colour codes, unless colour is wanted.
 *
 * @since 1.0.0
 * @category combinators
 */
export const withPlainConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  colourWanted() ? effect : Console.consoleWith((console) =>
    Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...plain(args)),
      error: (...args) => console.error(...plain(args)),
      info: (...args) => console.info(...plain(args)),
      warn: (...args) => console.warn(...plain(args)),
      unsafe: {
        ...console.unsafe,
        log: (...args) => console.unsafe.log(...plain(args)),
        error: (...args) => console.unsafe.error(...plain(args))
      }
    })
  )
