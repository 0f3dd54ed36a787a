/**
 * The reference client polls with the stream package's own rule (`@ubiops-effect/stream/PollingRule`), imported,
 * not copied, and still loads no Effect: its memory and CPU are the baseline that Effect is measured against.
 * esbuild bundles the reference client's process and the test reads what went in.
 */
import * as esbuild from "esbuild"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "vitest"

const entry = fileURLToPath(new URL("../clients/reference.ts", import.meta.url))

describe("the reference client", () => {
  it("imports the polling rule from the stream package and loads no Effect", async () => {
    const built = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent"
    })
    const inputs = Object.keys(built.metafile.inputs)
    assert.isTrue(inputs.some((path) => path.endsWith("packages/stream/src/PollingRule.ts")), inputs.join("\n"))
    const effect = inputs.filter((path) => /node_modules\/(?:\.pnpm\/)?(?:effect|@effect)[/@+]/.test(path))
    assert.deepStrictEqual(effect, [])
    // the rule and its estimates, nothing else of the client's packages
    const ours = inputs.filter((path) => path.includes("packages/")).map((path) => path.replace(/^.*packages\//, ""))
    assert.deepStrictEqual(ours.sort(), ["stream/src/PollingRule.ts", "stream/src/internal/estimates.ts"])
  })
})
