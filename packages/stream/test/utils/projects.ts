import type { ProjectDefinition } from "@ubiops-effect/emulator/PipelineDefinition"
import { Effect } from "effect"

export const demoEcho = { project: "demo", pipeline: "echo" } as const
export const demoSleep = { project: "demo", pipeline: "sleep" } as const

/**
 * `test/maybe-fail`: `{ n, fail? }` gives `{ doubled: 2n }`, or fails with "asked to fail" when `fail` is set.
 * `test/slow`: takes 2 seconds, 20 workers.
 * `test/quick`: takes 10 ms, 8 workers.
 */
export const testProject: ProjectDefinition = {
  name: "test",
  pipelines: [
    {
      name: "maybe-fail",
      workers: 16,
      objects: [{
        kind: "deployment",
        name: "double",
        run: (input) => {
          const { fail, n } = input as { n: number; fail?: boolean }
          return fail === true ? Effect.fail("asked to fail") : Effect.succeed({ doubled: n * 2 })
        }
      }]
    },
    {
      name: "quick",
      workers: 8,
      objects: [{ kind: "deployment", name: "wait", latency: "10 millis" }]
    },
    {
      name: "slow",
      workers: 20,
      objects: [{ kind: "deployment", name: "wait", latency: "2 seconds" }]
    }
  ]
}

export const maybeFail = { project: "test", pipeline: "maybe-fail" } as const
export const quick = { project: "test", pipeline: "quick" } as const
export const slow = { project: "test", pipeline: "slow" } as const
