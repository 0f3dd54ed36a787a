/**
 * Writes every ```ts block of README.md to examples/readme-snippets/, so that `pnpm check` type-checks the
 * README's code with the examples project. The folder is generated (git-ignored).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
const out = new URL("../examples/readme-snippets/", import.meta.url).pathname
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => match[1])
blocks.forEach((code, index) => {
  writeFileSync(join(out, `snippet-${String(index + 1).padStart(2, "0")}.ts`), `${code}export {}\n`)
})
console.log(`README: ${blocks.length} TypeScript blocks written to examples/readme-snippets/`)
