import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const packages = fileURLToPath(new URL("./packages", import.meta.url))

const config: ViteUserConfig = {
  resolve: {
    // Inside the repository the workspace packages run from their sources; their `exports` name the built files.
    alias: [
      { find: /^@ubiops-effect\/(core|stream|emulator|cli)$/, replacement: `${packages}/$1/src/index.ts` },
      { find: /^@ubiops-effect\/(core|stream|emulator|cli)\/(.+)$/, replacement: `${packages}/$1/src/$2.ts` }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    sequence: { concurrent: false }
  }
}

export default config
