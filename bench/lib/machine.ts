/**
 * The machine and the software a run measured.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as os from "node:os"
import { benchDir } from "./build.js"

/** The version of a dependency of the bench package, as installed (`bench/node_modules/NAME/package.json`). */
const versionOf = (name: string): string => {
  try {
    const path = `${benchDir}node_modules/${name}/package.json`
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version
  } catch {
    return "unknown"
  }
}

const git = (repoRoot: string, args: ReadonlyArray<string>): string => {
  try {
    return execFileSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return "unknown"
  }
}

export const machine = (repoRoot: string) => {
  const cpus = os.cpus()
  const changed = git(repoRoot, ["status", "--porcelain", "--", "packages"])
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 1e9),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    packages: {
      effect: versionOf("effect"),
      "@effect/platform": versionOf("@effect/platform"),
      "@effect/platform-node": versionOf("@effect/platform-node"),
      undici: versionOf("undici"),
      "@ubiops-effect/core": versionOf("@ubiops-effect/core"),
      "@ubiops-effect/stream": versionOf("@ubiops-effect/stream"),
      "@ubiops-effect/emulator": versionOf("@ubiops-effect/emulator")
    },
    commit: git(repoRoot, ["rev-parse", "--short", "HEAD"]),
    uncommittedFilesInPackages: changed === "" || changed === "unknown" ? 0 : changed.split("\n").length,
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100)
  }
}
