#!/usr/bin/env node
/**
 * Builds the workspace package in the current directory into `dist/`, the way `effect` ships:
 * - `dist/esm`: ES modules and declarations, compiled by `tsc -p tsconfig.build.json` (type-checked);
 * - `dist/cjs`: the same modules as CommonJS (esbuild, file by file from `dist/esm`) with the same declarations,
 *   under a `package.json` that says `"type": "commonjs"`, so `require` gets CommonJS types and code;
 * - the package's `bin` (at most one, from `src/bin.ts`), bundled with its dependencies into one file, so the
 *   command starts on plain `node` without loading hundreds of modules.
 *
 * With `--bin-only`, only the bin (what `pnpm install` builds, so that the repository's commands run as users run
 * them; the bundle is made from the sources, found through `tsconfig.base.json`'s `paths`).
 */
import * as esbuild from "esbuild"
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative } from "node:path"

const require = createRequire(import.meta.url)
const pkg = JSON.parse(readFileSync("package.json", "utf8"))

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]
  )

const binOnly = process.argv.includes("--bin-only")

if (!binOnly) {
  rmSync("dist", { recursive: true, force: true })
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    stdio: "inherit"
  })

  const esm = walk("dist/esm")
  await esbuild.build({
    entryPoints: esm.filter((file) => file.endsWith(".js")),
    outbase: "dist/esm",
    outdir: "dist/cjs",
    format: "cjs",
    platform: "node",
    target: "es2022",
    logLevel: "warning"
  })
  for (const file of esm.filter((file) => file.endsWith(".d.ts"))) {
    const target = join("dist/cjs", relative("dist/esm", file))
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(file, target)
  }
  writeFileSync("dist/cjs/package.json", JSON.stringify({ type: "commonjs" }, null, 2) + "\n")
}

for (const [name, path] of Object.entries(pkg.bin ?? {})) {
  const entry = "src/bin.ts"
  if (!existsSync(entry)) throw new Error(`${pkg.name}: its bin has no entry ${entry}`)
  const outdir = dirname(path)
  rmSync(outdir, { recursive: true, force: true })
  await esbuild.build({
    entryPoints: { [name]: entry },
    outdir,
    outExtension: { ".js": ".mjs" },
    // What the command imports with `import()` (the batch runner, the emulator) is a chunk of its own, loaded only
    // when that subcommand runs: `--help` does not pay for it.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    tsconfig: "tsconfig.src.json",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    legalComments: "none",
    // A bundle of ES modules still meets dependencies that call `require` (Node built-ins): give them one.
    banner: {
      js: "import { createRequire as __createRequire } from \"node:module\";\n" +
        "const require = __createRequire(import.meta.url);"
    },
    logLevel: "warning"
  })
  // The shebang goes on the entry only (a banner would put it on every chunk).
  writeFileSync(path, `#!/usr/bin/env node\n${readFileSync(path, "utf8")}`)
}
