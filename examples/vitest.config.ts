import { defineProject, mergeConfig } from "vitest/config"
import shared from "../vitest.shared.js"

// Every example program runs against the emulator (test/examples.test.ts), and the testing example is itself a
// test file.
export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: "examples",
      include: ["*.test.ts", "test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 30_000
    }
  })
)
