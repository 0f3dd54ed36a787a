/**
 * Bundles the two client entry points into plain JavaScript (`bench/build/<run>/ours.mjs` and `reference.mjs`)
 * so that client processes run under plain `node`, without tsx's loader thread (about 50 MB of RSS that is not
 * the client's). Workspace packages (exported as TypeScript sources) are bundled; `effect`, `@effect/*` and
 * `undici` stay external and load from `node_modules` exactly as an application would load them.
 */
import * as esbuild from "esbuild"
import { fileURLToPath } from "node:url"

export const benchDir = fileURLToPath(new URL("..", import.meta.url))

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

export const entries = {
  ours: `${benchDir}clients/ours.ts`,
  reference: `${benchDir}clients/reference.ts`
} as const

export interface Outputs {
  readonly ours: string
  readonly reference: string
}

/** Builds into `bench/build/<name>/` (under `bench/`, so that `node_modules` resolves from there). */
export const buildClients = async (name: string): Promise<Outputs> => {
  const outdir = `${benchDir}build/${name}`
  await esbuild.build({
    entryPoints: { ours: entries.ours, reference: entries.reference },
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["effect", "effect/*", "@effect/*", "undici"],
    sourcemap: "linked",
    logLevel: "warning"
  })
  return { ours: `${outdir}/ours.mjs`, reference: `${outdir}/reference.mjs` }
}
