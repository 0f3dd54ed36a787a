import type { ProjectDefinition } from "@ubiops-effect/emulator/PipelineDefinition"
import { Effect } from "effect"

/**
 * `test/maybe-fail`: `{ n, fail? }` gives `{ doubled: 2n }`, or fails with "asked to fail" when `fail` is set.
 * `test/jitter`: returns its input after 0 to 20 ms (so results finish out of input order), 16 workers.
 * `test/steady`: returns its input after 10 ms, 16 workers: 1,600 results a second at most.
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
      name: "jitter",
      workers: 16,
      objects: [{
        kind: "deployment",
        name: "wait",
        run: (input) => Effect.as(Effect.sleep(`${((input as { n: number }).n * 7) % 20} millis`), input)
      }]
    },
    {
      name: "steady",
      workers: 16,
      objects: [{ kind: "deployment", name: "wait", latency: "10 millis" }]
    }
  ]
}
