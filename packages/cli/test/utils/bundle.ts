/**
 * The executable as the package ships it: `src/bin.ts` bundled to JavaScript and run on plain `node` (a small entry
 * file that installs the signal handling, and the rest in a chunk it loads). esbuild is taken from tsx, a
 * dependency of this package.
 */
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("../..", import.meta.url))

interface EsBuild {
  readonly build: (options: Record<string, unknown>) => Promise<unknown>
}

let built: Promise<string> | undefined

/** Builds `build/test-bin/bin.mjs` once per test process; its path. */
export const bundledBin = (): Promise<string> => {
  built ??= (async () => {
    const require = createRequire(import.meta.url)
    const esbuild = createRequire(require.resolve("tsx"))("esbuild") as EsBuild
    const outdir = `${packageDir}build/test-bin`
    await esbuild.build({
      entryPoints: [`${packageDir}src/bin.ts`],
      outdir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "warning",
      banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" }
    })
    return `${outdir}/bin.mjs`
  })()
  return built
}
