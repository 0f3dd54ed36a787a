/**
 * Where a client process's CPU time goes: reads the `.cpuprofile` files that `pnpm bench --profile` writes (with
 * their `.json` sidecars naming the run and its measured part) and prints, for the measured part only, the self
 * time by package, by file and by function, and the inclusive time by function, in µs per result (or per call).
 *
 *   tsx bench/profile.ts bench/results/profiles/<stamp> [--top 25] [--match ours]
 *   tsx bench/profile.ts file.cpuprofile [--top 25]
 *
 * With `--allocations N`, reads sampling heap profiles instead (written by a client process run with
 * `BENCH_ALLOCATION_PROFILE=file`, collected objects included) and prints bytes allocated per result (N results)
 * by package, file and function.
 *
 *   tsx bench/profile.ts --allocations 50000 alloc.json
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { basename, dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { parseSourceMap, type SourceMap } from "./lib/sourcemap.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

interface Sidecar {
  readonly job: { readonly client: string; readonly kind: string; readonly n: number }
  readonly result: { readonly count: number; readonly measuredFromUs: number; readonly measuredToUs: number }
}

/** The package a script belongs to: a workspace package, an npm package, node itself, or V8's own entries. */
export const packageOf = (url: string, functionName: string): string => {
  if (url === "") {
    return functionName === "(garbage collector)" || functionName === "(program)" || functionName === "(idle)"
      ? functionName
      : "(native)"
  }
  if (url.startsWith("node:")) return "node"
  const workspace = /\/(packages\/[^/]+|bench)\//.exec(url)
  const npm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url)
  if (npm !== null) return npm[1]
  if (workspace !== null) return workspace[1]
  return url
}

const shortFile = (url: string): string => {
  const npm = /\/node_modules\/((?:@[^/]+\/)?[^/]+\/(?!.*\/node_modules\/).*)$/.exec(url)
  if (npm !== null) return npm[1]
  const local = /\/((?:packages\/[^/]+|bench)\/.*)$/.exec(url)
  return local !== null ? local[1] : url.replace(/^file:\/\//, "")
}

interface Totals {
  readonly self: Map<string, number>
  readonly inclusive: Map<string, number>
  readonly byPackage: Map<string, number>
  readonly byFile: Map<string, number>
  readonly total: number
}

const maps = new Map<string, SourceMap | undefined>()

/** Where a function really is: bundle positions (the client bundles) mapped back to their sources. */
const locate = (frame: CallFrame): { readonly url: string; readonly line: number } => {
  if (!frame.url.endsWith(".mjs") || !frame.url.startsWith("file://")) return { url: frame.url, line: frame.lineNumber }
  const file = fileURLToPath(frame.url)
  if (!maps.has(file)) {
    const mapFile = `${file}.map`
    maps.set(file, existsSync(mapFile) ? parseSourceMap(JSON.parse(readFileSync(mapFile, "utf8"))) : undefined)
  }
  const found = maps.get(file)?.lookup(frame.lineNumber, frame.columnNumber)
  return found === undefined
    ? { url: frame.url, line: frame.lineNumber }
    : { url: `file://${resolve(dirname(file), found.source)}`, line: found.line }
}

const add = <K>(map: Map<K, number>, key: K, value: number) => map.set(key, (map.get(key) ?? 0) + value)

/** Self and inclusive time (µs) of the samples taken between `from` and `to` (µs on the profile's clock). */
export const analyze = (profile: Profile, from: number, to: number): Totals => {
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const node of profile.nodes) {
    byId.set(node.id, node)
    for (const child of node.children ?? []) parent.set(child, node.id)
  }
  const keyOf = (frame: CallFrame) => {
    const { line, url } = locate(frame)
    return `${frame.functionName === "" ? "(anonymous)" : frame.functionName} ${shortFile(url)}:${line + 1}`
  }
  const selfByNode = new Map<number, number>()
  let time = profile.startTime
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i]
    const duration = profile.timeDeltas[i + 1] ?? 0
    if (time < from || time > to) continue
    const node = byId.get(profile.samples[i])!
    if (node.callFrame.functionName === "(idle)") continue
    add(selfByNode, node.id, duration)
    total += duration
  }
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const byPackage = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const [id, duration] of selfByNode) {
    const node = byId.get(id)!
    const frame = node.callFrame
    const { url } = locate(frame)
    add(self, keyOf(frame), duration)
    add(byPackage, packageOf(url, frame.functionName), duration)
    add(byFile, url === "" ? frame.functionName : shortFile(url), duration)
    // inclusive: once per distinct function on the stack
    const seen = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const key = keyOf(byId.get(id)!.callFrame)
      if (seen.has(key)) continue
      seen.add(key)
      add(inclusive, key, duration)
    }
  }
  return { self, inclusive, byPackage, byFile, total }
}

const top = (map: Map<string, number>, count: number) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)

const report = (file: string, topCount: number) => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
  const sidecarFile = `${file}.json`
  const sidecar = existsSync(sidecarFile) ? (JSON.parse(readFileSync(sidecarFile, "utf8")) as Sidecar) : undefined
  const from = sidecar?.result.measuredFromUs ?? profile.startTime
  const to = sidecar?.result.measuredToUs ?? profile.endTime
  const per = sidecar?.result.count ?? 1
  const unit = sidecar === undefined ? "µs" : sidecar.job.kind === "gets" ? "µs/call" : "µs/result"
  const totals = analyze(profile, from, to)
  const line = (duration: number, label: string) =>
    `${(duration / per).toFixed(3).padStart(10)} ${unit}  ${
      ((100 * duration) / totals.total).toFixed(1).padStart(5)
    }%  ${label}`
  console.log(
    `\n=== ${basename(file)}${
      sidecar === undefined ? "" : ` (${sidecar.job.client} ${sidecar.job.kind}, ${per} measured)`
    }`
  )
  console.log(line(totals.total, "total CPU sampled in the measured part"))
  console.log("-- self time by package")
  for (const [key, duration] of top(totals.byPackage, topCount)) console.log(line(duration, key))
  console.log("-- self time by file")
  for (const [key, duration] of top(totals.byFile, topCount)) console.log(line(duration, key))
  console.log("-- self time by function")
  for (const [key, duration] of top(totals.self, topCount)) console.log(line(duration, key))
  console.log("-- inclusive time by function")
  for (const [key, duration] of top(totals.inclusive, topCount)) console.log(line(duration, key))
}

interface AllocationNode {
  readonly callFrame: CallFrame
  readonly selfSize: number
  readonly children: ReadonlyArray<AllocationNode>
}

const reportAllocations = (file: string, per: number, topCount: number) => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as { readonly head: AllocationNode }
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  const byPackage = new Map<string, number>()
  const byOwnFrame = new Map<string, number>()
  let total = 0
  const visit = (node: AllocationNode, own: string) => {
    const frame = node.callFrame
    const { line, url } = locate(frame)
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName
    const key = `${name} ${shortFile(url)}:${line + 1}`
    const nearest = /\/(packages\/[^/]+|bench)\//.test(url) && !url.includes("/node_modules/") ? key : own
    if (node.selfSize > 0) {
      add(byFunction, key, node.selfSize)
      add(byFile, url === "" ? name : shortFile(url), node.selfSize)
      add(byPackage, packageOf(url, name), node.selfSize)
      add(byOwnFrame, nearest, node.selfSize)
      total += node.selfSize
    }
    for (const child of node.children) visit(child, nearest)
  }
  visit(profile.head, "(no workspace frame on the stack)")
  const line = (bytes: number, label: string) =>
    `${(bytes / per).toFixed(0).padStart(8)} B/result  ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${label}`
  console.log(`\n=== ${basename(file)}: allocations (sampled, collected objects included)`)
  console.log(line(total, "total"))
  console.log("-- by package")
  for (const [key, bytes] of top(byPackage, topCount)) console.log(line(bytes, key))
  console.log("-- by file")
  for (const [key, bytes] of top(byFile, topCount)) console.log(line(bytes, key))
  console.log("-- by function")
  for (const [key, bytes] of top(byFunction, topCount)) console.log(line(bytes, key))
  console.log("-- by the nearest workspace function on the stack (who asked for it)")
  for (const [key, bytes] of top(byOwnFrame, topCount)) console.log(line(bytes, key))
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, match: { type: "string" }, allocations: { type: "string" } }
})
if (values.allocations !== undefined) {
  for (const path of positionals) reportAllocations(path, Number(values.allocations), Number(values.top))
}
for (const path of values.allocations === undefined ? positionals : []) {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((name) => name.endsWith(".cpuprofile")).map((name) => join(path, name))
    : [path]
  for (const file of files.sort()) {
    if (values.match !== undefined && !basename(file).includes(values.match)) continue
    report(file, Number(values.top))
  }
}
