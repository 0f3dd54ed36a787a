/**
 * The built-in project `demo`: `echo` (the benchmark pipeline), `echo-plain` and `sleep`.
 *
 * @since 1.0.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { ObjectContext, ProjectDefinition } from "./PipelineDefinition.js"

/**
 * Waits `seconds` seconds (`{"seconds": n}`, n ≥ 0, fractions allowed), emitting a partial result after every
 * whole second, then returns its input. A list input is handled one item after the other.
 *
 * @since 1.0.0
 * @category functions
 */
export const sleepFunction = (input: unknown, context: ObjectContext): Effect.Effect<unknown, string> => {
  if (Array.isArray(input)) return Effect.as(Effect.forEach(input, (item) => sleepFunction(item, context)), input)
  const seconds = typeof input === "object" && input !== null ? (input as { seconds?: unknown }).seconds : undefined
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    return Effect.fail(
      `input field "seconds" must be a number of at least 0, got ${JSON.stringify(seconds) ?? "nothing"}`
    )
  }
  const whole = Math.floor(seconds)
  return Effect.forEach(
    Array.from({ length: whole }, (_, index) => index + 1),
    (second) =>
      Effect.zipRight(Effect.sleep(Duration.seconds(1)), context.emit(`slept ${second} of ${seconds} seconds`)),
    { discard: true }
  ).pipe(
    Effect.zipRight(seconds > whole ? Effect.sleep(Duration.millis((seconds - whole) * 1000)) : Effect.void),
    Effect.as(input)
  )
}

/**
 * The name of the demo project.
 *
 * @since 1.0.0
 * @category constants
 */
export const projectName = "demo"

/**
 * - `echo` (structured): returns its input, through a deployment, an operator and a sub-pipeline, so that
 *   every list of sub-requests and the object-requests endpoint have content; 64 workers and no latency.
 * - `echo-plain` (plain): returns its input.
 * - `sleep` (structured): `{"seconds": n}` waits n seconds, then returns its input; 4 workers.
 *
 * @since 1.0.0
 * @category constants
 */
export const project: ProjectDefinition = {
  name: projectName,
  pipelines: [
    {
      name: "echo",
      inputType: "structured",
      description: "Returns its input (a deployment, an operator and a sub-pipeline)",
      workers: 64,
      objects: [
        { kind: "deployment", name: "echo-deployment", deployment: "echo", version: "v1" },
        { kind: "operator", name: "echo-function", operator: "function" },
        {
          kind: "pipeline",
          name: "echo-sub-pipeline",
          pipeline: "echo-inner",
          version: "v1",
          objects: [{ kind: "deployment", name: "echo-inner-deployment", deployment: "echo", version: "v1" }]
        }
      ]
    },
    {
      name: "echo-plain",
      inputType: "plain",
      description: "Returns its plain input",
      workers: 64,
      objects: [{ kind: "deployment", name: "echo-plain-deployment", deployment: "echo-plain", version: "v1" }]
    },
    {
      name: "sleep",
      inputType: "structured",
      description: "{\"seconds\": n} waits n seconds, then returns its input",
      workers: 4,
      objects: [{
        kind: "deployment",
        name: "sleep-deployment",
        deployment: "sleep",
        version: "v1",
        run: sleepFunction
      }]
    }
  ]
}
