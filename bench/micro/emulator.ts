/** The emulator of the diagnostics in `micro/`: its own process, serving the benchmark's project. */
import { repoRoot } from "../lib/build.js"
import { project, projects } from "../lib/context.js"
import * as Emulator from "../lib/emulator.js"

/** With the given pipelines. */
export const startEmulator = (
  pipelines: ReadonlyArray<unknown>,
  token: string,
  maxFinished: number
): Promise<Emulator.Emulator> =>
  Emulator.start({ repoRoot, projects: [{ name: project, pipelines }], token, maxFinished })

/** With the benchmark's pipelines, of which the instant one. */
export const startInstantEmulator = (token: string, maxFinished: number): Promise<Emulator.Emulator> =>
  Emulator.start({ repoRoot, projects: projects("smoke", 1), token, maxFinished })
