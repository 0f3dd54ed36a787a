// Chromium: the same checks over FetchHttpClient, bundled by esbuild from the installed packages and loaded by
// index.html from a loopback server of another origin than the emulator's (so every call is cross-origin).
import { FetchHttpClient } from "@effect/platform"
import { report, runChecks } from "./checks.mjs"

const params = new URLSearchParams(location.search)
const lines = []
runChecks({
  httpLayer: FetchHttpClient.layer,
  host: params.get("host"),
  token: params.get("token"),
  count: Number(params.get("count") ?? 300)
}).then(
  (results) => {
    report(results, (line) => lines.push(line))
    window.__smoke = { lines }
  },
  (error) => {
    window.__smoke = { error: String(error?.stack ?? error) }
  }
)
