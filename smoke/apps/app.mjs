// Node (ESM), Bun and Deno: the checks over FetchHttpClient, the transport that works everywhere.
import { FetchHttpClient } from "@effect/platform"
import { report, runChecks } from "./checks.mjs"

const env = (name) => (globalThis.Deno ? globalThis.Deno.env.get(name) : globalThis.process.env[name])
const results = await runChecks({
  httpLayer: FetchHttpClient.layer,
  host: env("UBIOPS_API_HOST"),
  token: env("UBIOPS_API_TOKEN"),
  count: Number(env("SMOKE_COUNT") ?? 300)
})
report(results, (line) => console.log(line))
