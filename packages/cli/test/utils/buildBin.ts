/**
 * Vitest global setup: bundles the bin from the current sources before the tests run it, as `pnpm build` does
 * (a bin left over from an older build would test old code).
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

export default function setup() {
  execFileSync(process.execPath, [
    fileURLToPath(new URL("../../../../scripts/build-package.mjs", import.meta.url)),
    "--bin-only"
  ], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: "inherit"
  })
}
