#!/usr/bin/env node
/**
 * Builds every package and packs it as a user receives it (`pnpm pack`: workspace ranges become version ranges)
 * into `.tmp/tarballs/`.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readdirSync, rmSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const destination = `${root}.tmp/tarballs`
const pnpm = (args, cwd) => execFileSync("npx", ["-y", "pnpm@12.4.2", ...args], { cwd, stdio: "inherit" })

rmSync(destination, { recursive: true, force: true })
mkdirSync(destination, { recursive: true })
pnpm(["build"], root)
for (const name of ["core", "stream", "emulator", "cli"]) {
  pnpm(["pack", "--pack-destination", destination], `${root}packages/${name}`)
}
console.log(readdirSync(destination).map((file) => `${destination}/${file}`).join("\n"))
