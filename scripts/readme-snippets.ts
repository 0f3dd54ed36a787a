/**
 * Writes every ```ts block of README.md and of each package's README (they ship in the tarballs) to
 * examples/readme-snippets/, with a tsconfig of its own, so that `pnpm check` type-checks the READMEs' code
 * (strict, as the examples, except that a snippet may declare what it shows without using it). The folder is
 * generated (git-ignored).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("../", import.meta.url)
const readmes = ["README.md", ...["core", "stream", "emulator", "cli"].map((name) => `packages/${name}/README.md`)]
const out = new URL("examples/readme-snippets/", root).pathname
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify(
    {
      extends: "../../tsconfig.base.json",
      include: ["*.ts"],
      compilerOptions: { noUnusedLocals: false, composite: false, incremental: false, noEmit: true }
    },
    null,
    2
  )
)
for (const readme of readmes) {
  const text = readFileSync(new URL(readme, root), "utf8")
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => match[1])
  const prefix = readme === "README.md" ? "snippet" : readme.split("/")[1]
  blocks.forEach((code, index) => {
    writeFileSync(join(out, `${prefix}-${String(index + 1).padStart(2, "0")}.ts`), `${code}export {}\n`)
  })
  console.log(`${readme}: ${blocks.length} TypeScript blocks written to examples/readme-snippets/`)
}
