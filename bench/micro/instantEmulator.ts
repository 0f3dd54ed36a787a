/** The emulator of the diagnostics in `micro/`: its own process, the benchmark's project with its instant pipeline. */
import { join } from "node:path"
import { benchDir } from "../lib/build.js"
import { projects } from "../lib/context.js"
import * as Emulator from "../lib/emulator.js"

export const startInstantEmulator = (token: string, maxFinished: number): Promise<Emulator.Emulator> =>
  Emulator.start({ repoRoot: join(benchDir, ".."), projects: projects("smoke", 1), token, maxFinished })
