/**
 * The `ubiops-effect` executable: see `Cli.ts`. Signals are handled before anything else is loaded (see
 * `Signals.ts`), so a Ctrl-C is never met by Node's default of dying on the spot.
 *
 * @since 1.0.0
 */
import * as Signals from "./Signals.js"

const signals = Signals.install()
const { runMain } = await import("./Main.js")
runMain(process.argv, signals)
