import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*", "examples", "bench"],
    // Most test files wait (on child processes, sockets, real seconds) more than they compute: three at a time keep
    // two cores busy where vitest's default (cores - 1) runs one file at a time here.
    maxWorkers: 3
  }
})
