/**
 * The `ubiops-effect` executable: see `Cli.ts`. Signals are handled before anything else is loaded (see
 * `Signals.ts`), so a Ctrl-C is never met by Node's default of dying on the spot.
 *
 * @since 1.0.0
 */
import { configureV8 } from "./internal/v8Flags.js"
import * as Signals from "./Signals.js"

if (process.argv[2] === "batch") configureV8()
const signals = Signals.install()
const { runMain } = await import("./Main.js")
runMain(process.argv, signals)
