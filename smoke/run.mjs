#!/usr/bin/env node
/**
 * The smoke test of the packed packages, as a new user gets them: the tarballs installed with npm in a scratch
 * app outside the repository, the installed emulator command started, and small apps (smoke/apps/) run against
 * it on every runtime the README names: Node ESM and CommonJS, tsc (strict user settings) then node, Bun, Deno
 * and headless Chromium. Also: the tarballs' contents, publint, @arethetypeswrong/cli, closed internal modules,
 * and the time of the installed `ubiops-effect --help` against `node -e 0`.
 *
 *   node smoke/run.mjs [--tarballs DIR] [--keep] [--only REGEX] [--count N]
 *
 * Plain Node 20 and its standard library; what the checks need is npm-installed into the scratch directory.
 * One line per check (`PASS name (time)` / `FAIL name: reason`), then `N passed, N failed`; exit 1 on a failure.
 */
import { spawn, spawnSync } from "node:child_process"
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { builtinModules } from "node:module"
import { availableParallelism, loadavg, tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const smokeDir = dirname(fileURLToPath(import.meta.url))
const repo = resolve(smokeDir, "..")
const startedAt = performance.now()
let scratch // the scratch app, once made

// ---------------------------------------------------------------------------------------------------------------
// Versions of the tools installed into the scratch app (the packages' peers come from their peerDependencies).
const tools = {
  typescript: "5.9.3",
  "@types/node": "^20.19.0",
  bun: "~1.4.5",
  deno: "~2.9.6",
  "playwright-core": "1.65.2",
  esbuild: "0.28.2",
  publint: "0.3.25",
  "@arethetypeswrong/cli": "0.18.5"
}
const packages = ["core", "stream", "emulator", "cli"]
const chromiumPath = process.env.SMOKE_CHROMIUM ?? "/usr/bin/chromium"
const helpBudgetMs = 400

// ---------------------------------------------------------------------------------------------------------------
// Arguments
const argv = process.argv.slice(2)
const option = (name) => {
  const at = argv.indexOf(name)
  return at === -1 ? undefined : argv[at + 1]
}
if (argv.includes("--help") || argv.includes("-h")) {
  console.log("Usage: node smoke/run.mjs [--tarballs DIR] [--keep] [--only REGEX] [--count N]")
  process.exit(0)
}
const tarballDir = resolve(option("--tarballs") ?? join(repo, ".tmp/tarballs"))
const keep = argv.includes("--keep")
const only = option("--only") === undefined ? undefined : new RegExp(option("--only"))
const count = Number(option("--count") ?? 300)

// ---------------------------------------------------------------------------------------------------------------
// Reporting. A reporter prints its lines at once, or (for checks running beside others) holds them until
// `release`, so that the output reads in a fixed order.
const results = []
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`
const tail = (text, lines = 15) => {
  const all = String(text ?? "").replace(/\x1b\[[0-9;]*m/g, "").trimEnd().split("\n")
  return all.slice(-lines).map((line) => `    | ${line.length > 400 ? line.slice(0, 400) + "…" : line}`).join("\n")
}
const reporter = (live = true) => {
  const held = []
  const write = (line) => (live ? console.log(line) : held.push(line))
  return {
    pass: (name, ms, note) => {
      results.push({ name, ok: true })
      const time = ms === undefined ? "" : seconds(ms)
      write(`PASS ${name} (${time}${note ? `${time ? "; " : ""}${note}` : ""})`)
    },
    fail: (name, reason, output, ms) => {
      results.push({ name, ok: false })
      write(`FAIL ${name}: ${reason}${ms === undefined ? "" : ` (${seconds(ms)})`}${output ? `\n${tail(output)}` : ""}`)
    },
    info: (text) => write(`  info: ${text}`),
    release: () => {
      live = true
      for (const line of held.splice(0)) console.log(line)
    }
  }
}
const main = reporter()
const { pass, fail, info } = main
const wanted = (name) => only === undefined || only.test(name)

// ---------------------------------------------------------------------------------------------------------------
// Child processes: each in its own process group, with a time limit; all stopped at the end, whatever happens.
const live = new Set()
const killGroup = (child, signal = "SIGKILL") => {
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}
const stopAll = () => {
  for (const child of live) killGroup(child)
  live.clear()
}
process.on("exit", stopAll)
// Whatever happens, the run ends with its summary and stops what it started: a harness error is a failure, and
// so is a run that goes on for more than 15 minutes.
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (error) => {
    fail("harness", String(error?.stack ?? error))
    finish()
  })
}
setTimeout(() => {
  fail("harness", "the whole run took more than 15 minutes")
  finish()
}, 15 * 60_000).unref()
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopAll()
    if (!keep && scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
    console.log(`interrupted (${signal})`)
    process.exit(130)
  })
}

/** Runs a command to its end (or its time limit): `{ code, signal, stdout, stderr, output, ms, timedOut }`. */
const run = (command, args, { cwd, env, timeoutMs = 60_000 } = {}) =>
  new Promise((done) => {
    const started = performance.now()
    let child
    try {
      child = spawn(command, args, {
        cwd,
        env: { ...process.env, ...env },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"]
      })
    } catch (error) {
      return done({
        code: null,
        signal: null,
        stdout: "",
        stderr: String(error),
        output: String(error),
        ms: 0,
        timedOut: false
      })
    }
    live.add(child)
    let stdout = ""
    let stderr = ""
    let output = ""
    let timedOut = false
    child.stdout.on("data", (data) => {
      stdout += data
      output += data
    })
    child.stderr.on("data", (data) => {
      stderr += data
      output += data
    })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child, "SIGTERM")
      setTimeout(() => killGroup(child), 2000).unref()
    }, timeoutMs)
    const finish = (code, signal, error) => {
      clearTimeout(timer)
      live.delete(child)
      killGroup(child) // whatever it left behind in its group
      if (error) output += `\n${error}`
      done({
        code,
        signal,
        stdout,
        stderr,
        output: timedOut ? `${output}\n(killed after ${seconds(timeoutMs)})` : output,
        ms: performance.now() - started,
        timedOut
      })
    }
    child.on("error", (error) => finish(null, null, error))
    child.on("close", (code, signal) => finish(code, signal))
  })

const exitText = (result) =>
  result.timedOut
    ? `timed out after ${seconds(result.ms)}`
    : result.signal
    ? `killed by ${result.signal}`
    : `exit code ${result.code}`

// ---------------------------------------------------------------------------------------------------------------
// 1. The tarballs and their contents
const tarballs = {}
const manifests = {}
const modules = {}
{
  const files = existsSync(tarballDir) ? readdirSync(tarballDir) : []
  const missing = []
  for (const name of packages) {
    const file = files.find((file) => new RegExp(`^ubiops-effect-${name}-\\d[^/]*\\.tgz$`).test(file))
    if (file === undefined) missing.push(name)
    else tarballs[name] = join(tarballDir, file)
  }
  if (missing.length > 0) {
    fail(
      "tarballs",
      `no tarball for ${missing.join(", ")} in ${tarballDir} (make them with \`npx -y pnpm@12.4.2 pack:all\`)`
    )
    finish()
  }
}

// The scratch app, outside the repository; the tarballs are copied into it first (a re-pack while this runs
// cannot change what is tested).
scratch = mkdtempSync(join(tmpdir(), "ubiops-effect-smoke-"))
info(`scratch app: ${scratch}`)
mkdirSync(join(scratch, "tarballs"))
for (const name of packages) {
  const copy = join(scratch, "tarballs", tarballs[name].split("/").pop())
  cpSync(tarballs[name], copy)
  tarballs[name] = copy
}

for (const name of packages) {
  const check = `tarball ${name}: contents`
  const started = performance.now()
  const listing = spawnSync("tar", ["-tzf", tarballs[name]], { encoding: "utf8", timeout: 30_000 })
  const manifest = spawnSync("tar", ["-xzOf", tarballs[name], "package/package.json"], {
    encoding: "utf8",
    timeout: 30_000
  })
  if (listing.status !== 0 || manifest.status !== 0) {
    fail(check, "cannot read the tarball", listing.stderr + manifest.stderr)
    continue
  }
  const entries = listing.stdout.split("\n").filter(Boolean).map((entry) => entry.replace(/^package\//, ""))
  const pkg = JSON.parse(manifest.stdout)
  manifests[name] = pkg
  // The public modules (the subpaths `./*` opens): for attw, which does not expand a wildcard export.
  modules[name] = entries.flatMap((entry) => /^dist\/esm\/([^/]+)\.js$/.exec(entry)?.[1] ?? []).filter((module) =>
    module !== "index"
  )
  if (!wanted(check)) continue
  const problems = []
  const unwanted = entries.filter((entry) =>
    /(^|\/)(test|tests|__tests__)\//.test(entry) || /\.test\.[cm]?[jt]s$/.test(entry) ||
    /(^|\/)vitest\.config/.test(entry) ||
    /(^|\/)tsconfig[^/]*\.json$/.test(entry) || /(^|\/)tsbuildinfo|\.tsbuildinfo$/.test(entry) ||
    (/\.[cm]?ts$/.test(entry) && !/\.d\.[cm]?ts$/.test(entry))
  )
  if (unwanted.length > 0) {
    problems.push(
      `ships what a user does not need: ${unwanted.slice(0, 8).join(", ")}${unwanted.length > 8 ? ", …" : ""}`
    )
  }
  if (!entries.some((entry) => /^readme(\.md)?$/i.test(entry))) problems.push("no README")
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [dependency, range] of Object.entries(pkg[field] ?? {})) {
      if (/^(workspace|link|file|catalog):/.test(range)) problems.push(`${field}.${dependency} is "${range}"`)
    }
  }
  if (pkg.exports === undefined) problems.push("no exports")
  else if (!JSON.stringify(pkg.exports).includes("types")) problems.push("exports carry no types")
  for (const [bin, path] of Object.entries(typeof pkg.bin === "string" ? { [pkg.name]: pkg.bin } : pkg.bin ?? {})) {
    if (!entries.includes(path.replace(/^\.\//, ""))) problems.push(`bin ${bin} (${path}) is not in the tarball`)
  }
  if (pkg.sideEffects === undefined) problems.push("no sideEffects field")
  // Every package the shipped code or declarations import is declared (a dependency or a peer): the scratch app
  // installs more than one package needs, so an undeclared one would not fail at run time here.
  const unpacked = join(scratch, "unpacked", name)
  mkdirSync(unpacked, { recursive: true })
  const untar = spawnSync("tar", ["-xzf", tarballs[name], "-C", unpacked], { encoding: "utf8", timeout: 30_000 })
  if (untar.status !== 0) problems.push(`cannot unpack: ${untar.stderr}`)
  else {
    const declared = new Set([pkg.name, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })])
    const undeclared = new Map()
    for (const entry of entries.filter((entry) => /\.(m|c)?js$|\.d\.(m|c)?ts$/.test(entry))) {
      const code = readFileSync(join(unpacked, "package", entry), "utf8")
      // A bundled bin is scanned for its top-level imports only (bundled code names optional modules in strings).
      const pattern = entry.startsWith("dist/bin/")
        ? /^(?:import|export)\b[^"'\n]*?from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']/gm
        : /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm
      for (const match of code.matchAll(pattern)) {
        const specifier = match[1] ?? match[2]
        if (specifier.startsWith(".") || specifier.startsWith("node:") || builtinModules.includes(specifier)) continue
        const dependency = specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/")
        if (!declared.has(dependency) && !undeclared.has(dependency)) undeclared.set(dependency, entry)
      }
    }
    for (const [dependency, entry] of undeclared) problems.push(`${entry} imports ${dependency}, which is not declared`)
  }
  const js = entries.filter((entry) => /\.[cm]?js$/.test(entry)).length
  const dts = entries.filter((entry) => /\.d\.[cm]?ts$/.test(entry)).length
  if (problems.length > 0) fail(check, problems.join("; "))
  else pass(check, performance.now() - started, `${entries.length} files, ${js} .js, ${dts} .d.ts`)
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The scratch app, outside the repository
const bin = (name) => join(scratch, "node_modules/.bin", name)
cpSync(join(smokeDir, "apps"), scratch, { recursive: true })
writeFileSync(
  join(scratch, "package.json"),
  JSON.stringify({ name: "smoke-app", private: true, type: "module" }, null, 2) + "\n"
)
writeFileSync(join(scratch, ".npmrc"), "audit=false\nfund=false\nupdate-notifier=false\n")

// The peers, at the ranges the packages accept (the first package that names one gives its range).
const peers = {}
for (const name of packages) {
  for (const [peer, range] of Object.entries(manifests[name]?.peerDependencies ?? {})) {
    if (peers[peer] === undefined) peers[peer] = range
    else if (peers[peer] !== range) {
      info(`${manifests[name].name} asks for ${peer}@${range}, another package for ${peers[peer]}`)
    }
  }
}
const cleanEnv = {
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
  PUPPETEER_SKIP_DOWNLOAD: "1",
  NO_UPDATE_NOTIFIER: "1",
  npm_config_update_notifier: "false",
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  DENO_DIR: join(scratch, ".deno"),
  BUN_INSTALL_CACHE_DIR: join(scratch, ".bun-cache"),
  DO_NOT_TRACK: "1",
  NO_COLOR: "1",
  FORCE_COLOR: "0"
}
{
  const specs = [
    ...packages.map((name) => tarballs[name]),
    ...Object.entries(peers).map(([peer, range]) => `${peer}@${range}`),
    ...Object.entries(tools).map(([tool, range]) => `${tool}@${range}`)
  ]
  const install = await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], {
    cwd: scratch,
    env: cleanEnv,
    timeoutMs: 300_000
  })
  if (install.code !== 0) {
    fail("npm install (tarballs, peers, tools)", exitText(install), install.output)
    finish()
  }
  pass(
    "npm install (tarballs, peers, tools)",
    install.ms,
    `peers ${Object.entries(peers).map(([p, r]) => `${p}@${r}`).join(", ")}`
  )
}

// One copy of each: a second `effect` or a nested @ubiops-effect package means the ranges do not meet.
{
  const check = "install: one copy of effect, @effect/platform and each @ubiops-effect package"
  const started = performance.now()
  const watched = new Set(["effect", "@effect/platform", ...packages.map((name) => `@ubiops-effect/${name}`)])
  const found = {}
  const walk = (nodeModules) => {
    if (!existsSync(nodeModules)) return
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith(".")) continue
      const names = entry.startsWith("@")
        ? readdirSync(join(nodeModules, entry)).map((sub) => `${entry}/${sub}`)
        : [entry]
      for (const name of names) {
        const dir = join(nodeModules, name)
        if (watched.has(name)) {
          const version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version
          ;(found[name] ??= []).push(`${relative(scratch, dir)}@${version}`)
        }
        walk(join(dir, "node_modules"))
      }
    }
  }
  walk(join(scratch, "node_modules"))
  const twice = Object.entries(found).filter(([, copies]) => copies.length > 1)
  const absent = [...watched].filter((name) => found[name] === undefined)
  const versions = Object.fromEntries(Object.entries(found).map(([name, copies]) => [name, copies[0].split("@").pop()]))
  if (twice.length > 0 || absent.length > 0) {
    fail(
      check,
      [
        ...twice.map(([name, copies]) => `${copies.length} copies of ${name}: ${copies.join(", ")}`),
        ...absent.map((name) => `${name} not installed`)
      ].join("; ")
    )
  } else {pass(
      check,
      performance.now() - started,
      `effect ${versions.effect}, @effect/platform ${versions["@effect/platform"]}`
    )}
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The installed emulator command
const token = `smoke-${Math.random().toString(36).slice(2, 12)}`
let emulator
{
  const check = "emulator: the installed ubiops-emulator starts"
  const started = performance.now()
  const child = spawn(bin("ubiops-emulator"), ["--port", "0", "--host", "127.0.0.1", "--token", token], {
    cwd: scratch,
    env: { ...process.env, ...cleanEnv },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(child)
  let output = ""
  const exited = new Promise((done) => child.on("close", (code, signal) => done({ code, signal })))
  child.on("error", (error) => (output += String(error)))
  const baseUrl = await new Promise((done) => {
    const timer = setTimeout(() => done(undefined), 20_000)
    const look = (data) => {
      output += data
      const match = /base URL:\s*(http:\/\/127\.0\.0\.1:\d+\/v2\.1)/.exec(output)
      if (match) {
        clearTimeout(timer)
        done(match[1])
      }
    }
    child.stdout.on("data", look)
    child.stderr.on("data", look)
    exited.then(() => {
      clearTimeout(timer)
      done(undefined)
    })
  })
  if (baseUrl === undefined) {
    fail(check, "no base URL printed within 20 s (or it exited)", output)
    killGroup(child)
    live.delete(child)
  } else {
    pass(check, performance.now() - started, baseUrl)
    emulator = { child, baseUrl, origin: new URL(baseUrl).origin, exited, output: () => output }
  }
}
const appEnv = emulator === undefined
  ? {}
  : { ...cleanEnv, UBIOPS_API_HOST: emulator.baseUrl, UBIOPS_API_TOKEN: token, SMOKE_COUNT: String(count) }

// CORS: what a page on another origin needs (the browser check shows the same from Chromium).
if (emulator !== undefined && wanted("emulator: CORS")) {
  const check = "emulator: CORS (preflight, headers a page can read)"
  const started = performance.now()
  const pageOrigin = "http://127.0.0.1:9"
  const problems = []
  try {
    const url = `${emulator.baseUrl}/projects/demo/pipelines/echo/requests`
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin: pageOrigin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type"
      },
      signal: AbortSignal.timeout(5000)
    })
    const h = (name) => preflight.headers.get(name)
    if (preflight.status < 200 || preflight.status > 299) problems.push(`preflight answered ${preflight.status}`)
    const allowOrigin = h("access-control-allow-origin")
    if (allowOrigin !== "*" && allowOrigin !== pageOrigin) {
      problems.push(`preflight Access-Control-Allow-Origin: ${allowOrigin}`)
    }
    if (!/\bPOST\b/i.test(h("access-control-allow-methods") ?? "") && h("access-control-allow-methods") !== "*") {
      problems.push(`preflight Access-Control-Allow-Methods: ${h("access-control-allow-methods")}`)
    }
    const allowHeaders = (h("access-control-allow-headers") ?? "").toLowerCase()
    // `*` does not cover Authorization (Fetch standard): it must be named.
    if (!/\bauthorization\b/.test(allowHeaders)) {
      problems.push(`preflight Access-Control-Allow-Headers does not name authorization: "${allowHeaders}"`)
    }
    if (!/\bcontent-type\b/.test(allowHeaders) && allowHeaders !== "*") {
      problems.push(`preflight Access-Control-Allow-Headers: "${allowHeaders}"`)
    }
    const call = await fetch(`${emulator.baseUrl}/projects/demo/pipelines/echo/requests`, {
      method: "POST",
      headers: { origin: pageOrigin, authorization: `Token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "cors" }),
      signal: AbortSignal.timeout(5000)
    })
    await call.arrayBuffer()
    const callOrigin = call.headers.get("access-control-allow-origin")
    if (callOrigin !== "*" && callOrigin !== pageOrigin) {
      problems.push(`a POST's Access-Control-Allow-Origin: ${callOrigin}`)
    }
    const exposed = (call.headers.get("access-control-expose-headers") ?? "").toLowerCase()
    const unreadable = ["x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"].filter((name) =>
      !exposed.includes(name) && exposed !== "*"
    )
    if (unreadable.length > 0) {
      problems.push(`a page cannot read ${unreadable.join(", ")} (Access-Control-Expose-Headers: "${exposed}")`)
    }
    const unauthorized = await fetch(url, {
      method: "GET",
      headers: { origin: pageOrigin },
      signal: AbortSignal.timeout(5000)
    })
    await unauthorized.arrayBuffer()
    if (unauthorized.headers.get("access-control-allow-origin") === null) {
      problems.push(`a ${unauthorized.status} has no Access-Control-Allow-Origin (a page cannot see the error)`)
    }
    if (problems.length > 0) fail(check, problems.join("; "))
    else {pass(
        check,
        performance.now() - started,
        `preflight ${preflight.status}, allow-headers "${allowHeaders}", expose "${exposed}"`
      )}
  } catch (error) {
    fail(check, String(error))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Two lanes side by side (2 cores): the apps on every runtime and the linters (lane A, printed live), and the
// three tsc runs (lane B, printed after lane A). The help timing runs alone afterwards.
const parts = ["direct", `batch ${count}`, "typed error"]
/** Runs an app and reports its three parts (a line `SMOKE {"name","ok","detail"}` each). */
const runApp = async (r, runtime, command, args, { timeoutMs = 90_000, env = {}, note } = {}) => {
  if (!parts.some((part) => wanted(`${runtime}: ${part}`))) return
  if (emulator === undefined) {
    for (const part of parts) r.fail(`${runtime}: ${part}`, "no emulator")
    return
  }
  const result = await run(command, args, { cwd: scratch, env: { ...appEnv, ...env }, timeoutMs })
  const reported = new Map()
  for (const line of result.stdout.split("\n")) {
    if (!line.startsWith("SMOKE ")) continue
    try {
      const outcome = JSON.parse(line.slice(6))
      reported.set(outcome.name, outcome)
    } catch {
      // not ours
    }
  }
  let shown = false // the app's output, under its first failure only
  const output = (text) => {
    if (shown) return undefined
    shown = true
    return [...new Set(text.split("\n"))].join("\n") // a browser repeats its CORS errors
  }
  for (const part of parts) {
    const outcome = reported.get(part)
    const name = `${runtime}: ${part}`
    if (outcome === undefined) r.fail(name, `no result (${exitText(result)})`, output(result.output), result.ms)
    else if (!outcome.ok) {
      r.fail(name, outcome.detail.split("\n").slice(0, 8).join("\n    "), output(result.stderr), result.ms)
    } else r.pass(name, result.ms, `${outcome.detail}${note ? `; ${note}` : ""}`)
  }
}
const skipApp = (r, runtime, reason, output) => {
  for (const part of parts) if (wanted(`${runtime}: ${part}`)) r.fail(`${runtime}: ${part}`, reason, output)
}

const laneA = async (r) => {
  await runApp(r, "node ESM (app.mjs, FetchHttpClient)", process.execPath, ["app.mjs"])
  await runApp(r, "node CommonJS (app.cjs, require, NodeHttpClient)", process.execPath, ["app.cjs"])

  // Bun: the npm package `bun` puts its binary in place in a postinstall script; without install scripts the
  // platform package (@oven/bun-linux-x64[-baseline]) still holds it.
  {
    const candidates = [
      bin("bun"),
      ...["bun-linux-x64", "bun-linux-x64-baseline", "bun-linux-aarch64"].map((p) =>
        join(scratch, "node_modules/@oven", p, "bin/bun")
      )
    ]
    let bun
    let version = ""
    for (const candidate of candidates) {
      if (!existsSync(candidate)) continue
      const probe = await run(candidate, ["--version"], { timeoutMs: 20_000 })
      if (probe.code === 0) {
        bun = candidate
        version = probe.stdout.trim()
        break
      }
    }
    if (bun === undefined) {
      skipApp(r, "bun (app.mjs, FetchHttpClient)", "no runnable bun binary in node_modules (npm package bun)")
    } else {await runApp(r, `bun ${version} (app.mjs, FetchHttpClient)`, bun, ["app.mjs"], {
        env: { BUN_CONFIG_NO_INSTALL: "1" }
      })}
  }

  // Deno: `deno run -A app.mjs`, as a user types it. With a package.json beside it, Deno 2 uses the node_modules
  // that npm made as it is (node-modules-dir "manual"): nothing is fetched (DENO_DIR in the scratch app).
  {
    const probe = await run(bin("deno"), ["--version"], { env: cleanEnv, timeoutMs: 20_000 })
    if (probe.code !== 0) {
      skipApp(r, "deno (app.mjs, FetchHttpClient)", `deno --version: ${exitText(probe)}`, probe.output)
    } else {
      const version = probe.stdout.split("\n")[0].replace(/^deno\s+/, "").replace(/\s*\(.*$/, "")
      await runApp(r, `deno ${version} (app.mjs, FetchHttpClient)`, bin("deno"), ["run", "-A", "app.mjs"])
    }
  }

  // Headless Chromium: the page app bundled by esbuild from the installed packages, served from 127.0.0.1 on
  // another port than the emulator's (so every call is cross-origin), driven by playwright-core with the system browser.
  {
    const runtime = "chromium (esbuild bundle, FetchHttpClient, cross-origin)"
    if (parts.some((part) => wanted(`${runtime}: ${part}`))) {
      mkdirSync(join(scratch, "page"), { recursive: true })
      cpSync(join(scratch, "index.html"), join(scratch, "page/index.html"))
      const bundle = await run(bin("esbuild"), [
        "browser.mjs",
        "--bundle",
        "--format=esm",
        "--platform=browser",
        "--target=es2022",
        "--outfile=page/bundle.js",
        "--log-level=warning"
      ], { cwd: scratch, timeoutMs: 60_000 })
      if (bundle.code !== 0) skipApp(r, runtime, `esbuild: ${exitText(bundle)}`, bundle.output)
      else if (!existsSync(chromiumPath)) {
        skipApp(r, runtime, `no browser at ${chromiumPath} (run smoke/install-chromium.sh)`)
      } else {
        const size = statSync(join(scratch, "page/bundle.js")).size
        await runApp(r, runtime, process.execPath, ["browser-driver.mjs"], {
          env: { SMOKE_CHROMIUM: chromiumPath },
          timeoutMs: 120_000,
          note: `bundle ${(size / 1024).toFixed(0)} kB`
        })
      }
    }
  }

  // The CLI end to end: a JSONL file through the demo echo pipeline.
  if (emulator !== undefined && wanted("cli: ubiops-effect batch")) {
    const check = "cli: ubiops-effect batch (JSONL through demo/echo)"
    const lines = 50
    writeFileSync(
      join(scratch, "in.jsonl"),
      Array.from({ length: lines }, (_, n) => JSON.stringify({ text: `line ${n}` })).join("\n") + "\n"
    )
    rmSync(join(scratch, "out.jsonl"), { force: true })
    const result = await run(bin("ubiops-effect"), [
      "batch",
      "--project",
      "demo",
      "--pipeline",
      "echo",
      "--input",
      "in.jsonl",
      "--output",
      "out.jsonl",
      "--no-progress"
    ], { cwd: scratch, env: appEnv, timeoutMs: 60_000 })
    const out = existsSync(join(scratch, "out.jsonl"))
      ? readFileSync(join(scratch, "out.jsonl"), "utf8").split("\n").filter(Boolean)
      : []
    if (result.code !== 0) r.fail(check, exitText(result), result.output, result.ms)
    else if (out.length !== lines) {
      r.fail(check, `${out.length} output lines for ${lines} inputs`, result.output, result.ms)
    } else r.pass(check, result.ms, `${out.length} lines`)
  }

  // Internal modules are closed; the public subpaths open, to import and to require.
  if (wanted("exports")) {
    const check = "exports: internal modules closed to import and require, public subpaths open"
    const script = `
      const problems = []
      const closed = ["@ubiops-effect/core/internal/caller", "@ubiops-effect/stream/internal/poller", "@ubiops-effect/emulator/internal/ids"]
      const open = ["@ubiops-effect/core/Pipeline", "@ubiops-effect/stream/Batch", "@ubiops-effect/emulator", "@ubiops-effect/cli"]
      ;(async () => {
        for (const spec of closed) {
          try { require(spec); problems.push("require " + spec + " works") } catch (e) { if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") problems.push("require " + spec + ": " + e.code) }
          try { await import(spec); problems.push("import " + spec + " works") } catch (e) { if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") problems.push("import " + spec + ": " + e.code) }
        }
        for (const spec of open) {
          try { require(spec) } catch (e) { problems.push("require " + spec + ": " + e.message.split("\\n")[0]) }
          try { await import(spec) } catch (e) { problems.push("import " + spec + ": " + e.message.split("\\n")[0]) }
        }
        console.log(JSON.stringify(problems))
      })()`
    const result = await run(process.execPath, ["--input-type=commonjs", "-e", script], {
      cwd: scratch,
      timeoutMs: 30_000
    })
    let problems
    try {
      problems = JSON.parse(result.stdout.trim().split("\n").pop())
    } catch {
      problems = [`no answer (${exitText(result)})`]
    }
    if (problems.length > 0) r.fail(check, problems.join("; "), result.stderr, result.ms)
    else r.pass(check, result.ms)
  }

  // publint on each tarball: fails on its errors; warnings and suggestions are shown.
  for (const name of packages) {
    const check = `publint ${name}`
    if (!wanted(check)) continue
    const result = await run(bin("publint"), ["run", tarballs[name], "--level", "suggestion"], {
      cwd: scratch,
      env: cleanEnv,
      timeoutMs: 60_000
    })
    const text = result.output.replace(/\x1b\[[0-9;]*m/g, "")
    const section = (title) => (new RegExp(`${title}:\\n([\\s\\S]*?)(\\n\\S|$)`).exec(text)?.[1] ?? "").trim()
    const errors = section("Errors?")
    const warnings = section("Warnings?")
    const suggestions = section("Suggestions?")
    if (result.code !== 0 || errors !== "") r.fail(check, exitText(result), text, result.ms)
    else {
      const counted = (block) => block.split("\n").filter((line) => /^\d+\./.test(line.trim())).length || 1
      const notes = [
        warnings && `${counted(warnings)} warning(s)`,
        suggestions && `${counted(suggestions)} suggestion(s)`
      ].filter(Boolean)
      r.pass(check, result.ms, notes.length > 0 ? notes.join(", ") : "clean")
      if (warnings) r.info(`publint ${name} warnings:\n${tail(warnings, 10)}`)
      if (suggestions) r.info(`publint ${name} suggestions:\n${tail(suggestions, 10)}`)
    }
  }

  // attw on each tarball, profile node16: ESM and CommonJS under node16/nodenext, and bundler, which is what we
  // support; node10 (no `exports`) is information only.
  for (const name of packages) {
    const check = `attw ${name} (node16 CJS and ESM, bundler)`
    if (!wanted(check)) continue
    const entrypoints = [".", ...(modules[name] ?? []).map((module) => `./${module}`)]
    const result = await run(bin("attw"), [
      tarballs[name],
      "--format",
      "json",
      "--profile",
      "node16",
      "--entrypoints",
      ...entrypoints
    ], { cwd: scratch, env: cleanEnv, timeoutMs: 120_000 })
    let report
    try {
      report = JSON.parse(result.stdout)
    } catch {
      r.fail(check, `no JSON report (${exitText(result)})`, result.output, result.ms)
      continue
    }
    const problems = report.analysis?.problems ?? report.problems ?? []
    const relevant = problems.filter((problem) => problem.resolutionKind !== "node10")
    const node10 = problems.filter((problem) => problem.resolutionKind === "node10")
    const describe = (list) =>
      [
        ...new Set(list.map((problem) =>
          `${problem.kind}${problem.entrypoint ? ` at ${problem.entrypoint}` : ""}${
            problem.resolutionKind ? ` (${problem.resolutionKind})` : ""
          }`
        ))
      ].slice(0, 12).join("; ")
    if (relevant.length > 0) r.fail(check, describe(relevant), undefined, result.ms)
    else if (result.code !== 0 && problems.length === 0) r.fail(check, exitText(result), result.output, result.ms)
    else r.pass(check, result.ms, `${entrypoints.length} entrypoints: ${entrypoints.join(" ")}`)
    if (node10.length > 0) r.info(`attw ${name} node10 (not supported, information only): ${describe(node10)}`)
  }
}

const laneB = async (r) => {
  // tsc with a user's strict settings (skipLibCheck off: every .d.ts is checked), then node on its output.
  // An error in our declarations or in the app fails; one in another package's declarations (Effect's own need
  // the DOM lib; @effect/platform-node's need @types/ws) is reported as information.
  const typeCheck = async (name, config) => {
    if (!wanted(name)) return false
    const result = await run(process.execPath, [
      join(scratch, "node_modules/typescript/bin/tsc"),
      "-p",
      config,
      "--pretty",
      "false"
    ], { cwd: scratch, timeoutMs: 150_000 })
    const errors = result.stdout.split("\n").filter((line) => /error TS\d+/.test(line))
    const ours = errors.filter((line) => line.includes("@ubiops-effect/") || !line.startsWith("node_modules/"))
    const others = errors.filter((line) => !ours.includes(line))
    if (result.code === 0) r.pass(name, result.ms)
    else if (ours.length > 0 || errors.length === 0) {
      r.fail(
        name,
        `${exitText(result)}, ${ours.length} errors in @ubiops-effect declarations or the app`,
        errors.length > 0 ? ours.slice(0, 15).join("\n") : result.output,
        result.ms
      )
    } else r.pass(name, result.ms, `no error in ours; ${others.length} in other packages' declarations`)
    if (others.length > 0) {
      const packagesOf = [...new Set(others.map((line) => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(line)?.[1]))].join(
        ", "
      )
      r.info(`${others.length} errors in ${packagesOf} declarations, not ours: ${others[0]}`)
    }
    return result.code === 0 || ours.length === 0 && errors.length > 0
  }
  const nodeNext = "tsc NodeNext (strict, noUncheckedIndexedAccess, verbatimModuleSyntax, skipLibCheck false)"
  const compiled = await typeCheck(nodeNext, "tsconfig.nodenext.json")
  const then = "tsc NodeNext then node (layerConfig, NodeHttpClient)"
  if (compiled && existsSync(join(scratch, "build/app.js"))) await runApp(r, then, process.execPath, ["build/app.js"])
  else skipApp(r, then, "not compiled")
  await typeCheck("tsc Bundler type-check (module Preserve, same strict settings)", "tsconfig.bundler.json")
  await typeCheck("tsc NodeNext type-check with exactOptionalPropertyTypes on", "tsconfig.exact.json")
}

{
  const b = reporter(false)
  const lanes = [laneA(main), laneB(b)].map((lane) =>
    lane.catch((error) => fail("harness", String(error?.stack ?? error)))
  )
  await lanes[0]
  b.release()
  await lanes[1]
}

// ---------------------------------------------------------------------------------------------------------------
// 5. `ubiops-effect --help` against `node -e 0` in the same run, alone on the machine (the lanes are done):
// medians of 5 interleaved pairs after one warm-up pair. The target is an answer in under 0.4 s; what is compared
// is the time over `node -e 0`, so that a loaded machine does not fail it.
if (wanted("help")) {
  const check = `cli: installed ubiops-effect --help within ${helpBudgetMs / 1000} s of node -e 0`
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  // bash's `time`: wall-clock and CPU (user + system) of the command alone, without the spawn of bash.
  const timed = async (command, args) => {
    const result = await run("bash", [
      "-c",
      "TIMEFORMAT=\"%3R %3U %3S\"; time \"$@\" >/dev/null 2>&1",
      "timed",
      command,
      ...args
    ], { cwd: scratch, timeoutMs: 15_000 })
    const [real, user, system] = (/(\d+\.\d+) (\d+\.\d+) (\d+\.\d+)\s*$/.exec(result.stderr) ?? []).slice(1).map(Number)
    return result.code === 0 && real !== undefined ? { wall: real * 1000, cpu: (user + system) * 1000 } : undefined
  }
  const first = await run(bin("ubiops-effect"), ["--help"], { cwd: scratch, timeoutMs: 15_000 })
  if (first.code !== 0 || !/batch/.test(first.stdout)) {
    fail(check, `--help: ${exitText(first)}, or no "batch" in its output`, first.output, first.ms)
  } else {
    const node = []
    const help = []
    for (let round = 0; round < 5; round++) {
      node.push(await timed(process.execPath, ["-e", "0"]))
      help.push(await timed(bin("ubiops-effect"), ["--help"]))
    }
    if ([...node, ...help].includes(undefined)) {
      fail(check, "could not time the commands with bash's time")
    } else {
      const helpMs = median(help.map((t) => t.wall))
      const nodeMs = median(node.map((t) => t.wall))
      const load = loadavg()[0]
      const cores = availableParallelism()
      const numbers =
        `--help ${seconds(helpMs)}, node -e 0 ${seconds(nodeMs)}, difference ${seconds(helpMs - nodeMs)}; ` +
        `CPU --help ${seconds(median(help.map((t) => t.cpu)))}, node -e 0 ${seconds(median(node.map((t) => t.cpu)))} ` +
        `(medians of 5; load average ${load.toFixed(1)} on ${cores} cores)`
      if (helpMs - nodeMs >= helpBudgetMs) {
        fail(check, `${numbers}${load > cores ? " - a loaded machine: run it again on a quiet one" : ""}`)
      } else pass(check, undefined, numbers)
    }
  }

  const emulatorHelp = await run(bin("ubiops-emulator"), ["--help"], { cwd: scratch, timeoutMs: 10_000 })
  if (emulatorHelp.code !== 0 || !/usage/i.test(emulatorHelp.stdout) || !emulatorHelp.stdout.includes("--port")) {
    fail("emulator: ubiops-emulator --help", exitText(emulatorHelp), emulatorHelp.output, emulatorHelp.ms)
  } else pass("emulator: ubiops-emulator --help", emulatorHelp.ms)
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Stop the emulator: Ctrl-C (SIGINT) stops it cleanly, exit code 0
if (emulator !== undefined) {
  const check = "emulator: stops on SIGINT with exit code 0"
  const started = performance.now()
  try {
    process.kill(emulator.child.pid, "SIGINT")
  } catch {
    // gone already
  }
  const exit = await Promise.race([emulator.exited, new Promise((done) => setTimeout(() => done(undefined), 5000))])
  killGroup(emulator.child)
  live.delete(emulator.child)
  if (exit === undefined) fail(check, "still running 5 s after SIGINT (killed)", emulator.output())
  else if (exit.code !== 0) {
    fail(check, `exit code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ""}`, emulator.output())
  } else pass(check, performance.now() - started)
}

finish()

function finish() {
  stopAll()
  if (!keep && scratch !== undefined) {
    try {
      rmSync(scratch, { recursive: true, force: true })
    } catch {
      // best effort
    }
  } else if (scratch !== undefined) info(`kept ${scratch}`)
  const passed = results.filter((result) => result.ok).length
  const failed = results.length - passed
  info(`whole run ${seconds(performance.now() - startedAt)}`)
  console.log(`${passed} passed, ${failed} failed`)
  process.exit(failed > 0 ? 1 : 0)
}
