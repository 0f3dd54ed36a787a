// Serves page/ (index.html + the esbuild bundle of browser.mjs) on 127.0.0.1, opens it in the system Chromium
// through playwright-core (never a downloaded browser), and prints the page's SMOKE lines.
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import { extname, join } from "node:path"
import { chromium } from "playwright-core"

const pageDir = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "page")
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" }
const server = createServer(async (request, response) => {
  const name = new URL(request.url, "http://127.0.0.1").pathname.slice(1) || "index.html"
  if (!/^[\w.-]+$/.test(name)) return response.writeHead(404).end()
  try {
    const body = await readFile(join(pageDir, name))
    response.writeHead(200, { "content-type": types[extname(name)] ?? "application/octet-stream" }).end(body)
  } catch {
    response.writeHead(404).end()
  }
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const origin = `http://127.0.0.1:${server.address().port}`

const browser = await chromium.launch({
  executablePath: process.env.SMOKE_CHROMIUM,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync"
  ],
  timeout: 30_000
})
let status = 1
try {
  const page = await browser.newPage()
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      console.error(`console.${message.type()}: ${message.text()}`)
    }
  })
  page.on("pageerror", (error) => console.error(`page error: ${error.stack ?? error}`))
  page.on(
    "requestfailed",
    (request) => console.error(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`)
  )
  const query = new URLSearchParams({
    host: process.env.UBIOPS_API_HOST,
    token: process.env.UBIOPS_API_TOKEN,
    count: process.env.SMOKE_COUNT ?? "300"
  })
  await page.goto(`${origin}/index.html?${query}`)
  console.error(`browser ${browser.version()}, page ${origin}, emulator ${process.env.UBIOPS_API_HOST}`)
  const handle = await page.waitForFunction(() => window.__smoke, undefined, { timeout: 60_000 })
  const outcome = await handle.jsonValue()
  if (outcome.error !== undefined) console.error(`the page failed: ${outcome.error}`)
  for (const line of outcome.lines ?? []) console.log(line)
  status = outcome.error === undefined ? 0 : 1
} finally {
  await browser.close()
  server.close()
}
process.exit(status)
