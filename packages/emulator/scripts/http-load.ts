/**
 * What one call costs the emulator's HTTP server, in its own process as the benchmarks run it: CPU
 * milliseconds of the server process per call (Linux: read from /proc), and wall time per call seen by a
 * client with 4 calls in flight.
 *
 *   node --import tsx packages/emulator/scripts/http-load.ts [calls per kind, default 2000]
 *
 * Kinds: a batch create of 250 `echo` requests (their processing included), a collect of 250 ids, a list
 * page of 50.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as Path from "node:path"

const calls = Number(process.argv[2] ?? 2000)
const root = Path.resolve(import.meta.dirname, "../../..")
const server = spawn(process.execPath, [
  "--import",
  "tsx",
  "packages/emulator/src/bin.ts",
  "--port",
  "0",
  "--token",
  "load"
], {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"]
})

const baseUrl = await new Promise<string>((resolve, reject) => {
  let output = ""
  server.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString()
    const match = /base URL: (\S+)/.exec(output)
    if (match !== null) resolve(match[1])
  })
  server.once("exit", (code) => reject(new Error(`the emulator exited (${code}): ${output}`)))
})

const cpuMillis = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1].split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

const headers = { authorization: "Token load", "content-type": "application/json" }
const echo = `${baseUrl}/projects/demo/pipelines/echo/requests`
const batchBody = JSON.stringify(Array.from({ length: 250 }, (_, n) => ({ index: n, payload: "x".repeat(20) })))

const call = async (url: string, init?: RequestInit) => {
  const response = await fetch(url, { headers, ...init })
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`)
  return response.arrayBuffer()
}

const created = JSON.parse(new TextDecoder().decode(await call(`${echo}/batch`, { method: "POST", body: batchBody })))
const collectBody = JSON.stringify(created.map((item: { id: string }) => item.id))

const kinds: Record<string, () => Promise<unknown>> = {
  "create 250": () => call(`${echo}/batch`, { method: "POST", body: batchBody }),
  "collect 250": () => call(`${echo}/collect`, { method: "POST", body: collectBody }),
  "list 50": () => call(`${echo}?limit=50`)
}

const rows: Array<Record<string, string | number>> = []
for (const [kind, run] of Object.entries(kinds)) {
  for (let i = 0; i < 50; i++) await run()
  const cpuBefore = cpuMillis()
  const started = performance.now()
  let started_ = 0
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (started_ < calls) {
      started_++
      await run()
    }
  }))
  const wall = performance.now() - started
  rows.push({
    kind,
    calls,
    "server CPU ms/call": Number(((cpuMillis() - cpuBefore) / calls).toFixed(2)),
    "wall ms/call (4 in flight)": Number((wall / calls).toFixed(2))
  })
}
console.table(rows)
server.kill("SIGINT")
