/**
 * How emulated pipelines are described: projects, pipelines with versions, and the objects a version runs
 * one after the other (deployments running a user function, operators, sub-pipelines).
 *
 * @since 1.0.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"

/**
 * Structured data is a JSON object (the pipeline's input fields); plain data is a string.
 *
 * @since 1.0.0
 * @category models
 */
export type DataType = "structured" | "plain"

/**
 * What an object's function can see of the request it runs for.
 *
 * @since 1.0.0
 * @category models
 */
export interface ObjectContext {
  readonly project: string
  readonly pipeline: string
  readonly version: string
  /** The id of the pipeline request. */
  readonly requestId: string
  /** Sends a partial result to a streaming request (`requests/stream`); does nothing for other requests. */
  readonly emit: (chunk: string) => Effect.Effect<void>
}

/**
 * The work of an object: its output, or a failure whose message becomes the request's `error_message`.
 *
 * @since 1.0.0
 * @category models
 */
export type ObjectFunction = (input: unknown, context: ObjectContext) => Effect.Effect<unknown, unknown>

/**
 * A deployment object: runs `run` (default: returns its input) after `latency` (default: none).
 *
 * @since 1.0.0
 * @category models
 */
export interface DeploymentObject {
  readonly kind: "deployment"
  /** The object's name in the pipeline (`pipeline_object`). */
  readonly name: string
  /** The deployment it calls (default: the object's name). */
  readonly deployment?: string | undefined
  /** The deployment version (default `v1`). */
  readonly version?: string | undefined
  readonly latency?: Duration.DurationInput | undefined
  readonly run?: ObjectFunction | undefined
}

/**
 * An operator object (UbiOps operators such as `function` or `raise-error`): runs `run` (default: returns
 * its input).
 *
 * @since 1.0.0
 * @category models
 */
export interface OperatorObject {
  readonly kind: "operator"
  readonly name: string
  /** The operator's type (default `function`). */
  readonly operator?: string | undefined
  readonly latency?: Duration.DurationInput | undefined
  readonly run?: ObjectFunction | undefined
}

/**
 * A sub-pipeline object: runs another pipeline of the same project (its default version, or `version`), or,
 * with `objects`, a sub-pipeline defined in place. It is recorded as one sub-request; the sub-pipeline's own
 * objects are not recorded.
 *
 * @since 1.0.0
 * @category models
 */
export interface SubPipelineObject {
  readonly kind: "pipeline"
  readonly name: string
  readonly pipeline: string
  readonly version?: string | undefined
  readonly objects?: ReadonlyArray<ObjectDefinition> | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export type ObjectDefinition = DeploymentObject | OperatorObject | SubPipelineObject

/**
 * What a pipeline version stores of its requests (UbiOps' `request_retention_mode`): `full` (the default) keeps
 * the metadata, the input and the output; `metadata` keeps the metadata only (`request_data` and `result` read as
 * null, the input and output downloads answer 404); `none` keeps a batch request only while it is pending or
 * processing (without its data) and forgets it when it finishes (a later get, collect or delete answers 404, a
 * list leaves it out). A direct request returns its result in any mode.
 *
 * @since 1.0.0
 * @category models
 */
export type RetentionMode = "full" | "metadata" | "none"

/**
 * The retention modes (`RetentionMode`).
 *
 * @since 1.0.0
 * @category constants
 */
export const retentionModes: ReadonlyArray<RetentionMode> = ["full", "metadata", "none"]

/**
 * A pipeline version: its objects run in order, each one's output being the next one's input (no objects:
 * the output is the input), by at most `workers` batch requests at a time.
 *
 * @since 1.0.0
 * @category models
 */
export interface VersionDefinition {
  readonly name: string
  readonly objects?: ReadonlyArray<ObjectDefinition> | undefined
  /** How many batch requests of this version run at the same time (default 1). */
  readonly workers?: number | undefined
  /** What is stored of its requests (default `full`). */
  readonly requestRetentionMode?: RetentionMode | undefined
}

/**
 * A pipeline. Give `versions`, or give `objects`, `workers` and `requestRetentionMode` for a single version named
 * `v1`.
 *
 * @since 1.0.0
 * @category models
 */
export interface PipelineDefinition {
  readonly name: string
  /** Default `structured`. */
  readonly inputType?: DataType | undefined
  /** Default: the input type. */
  readonly outputType?: DataType | undefined
  readonly description?: string | undefined
  readonly versions?: ReadonlyArray<VersionDefinition> | undefined
  /** Default: the first version. */
  readonly defaultVersion?: string | undefined
  readonly objects?: ReadonlyArray<ObjectDefinition> | undefined
  readonly workers?: number | undefined
  readonly requestRetentionMode?: RetentionMode | undefined
}

/**
 * @since 1.0.0
 * @category models
 */
export interface ProjectDefinition {
  readonly name: string
  readonly pipelines: ReadonlyArray<PipelineDefinition>
}

/**
 * The versions of a pipeline, with the single-version shorthand expanded.
 *
 * @since 1.0.0
 * @category utils
 */
export const versionsOf = (pipeline: PipelineDefinition): ReadonlyArray<VersionDefinition> =>
  pipeline.versions ??
    [{
      name: "v1",
      objects: pipeline.objects,
      workers: pipeline.workers,
      requestRetentionMode: pipeline.requestRetentionMode
    }]

const isName = (name: unknown): name is string => typeof name === "string" && name.length > 0

const duplicates = (names: ReadonlyArray<string>): Array<string> =>
  names.filter((name, index) => names.indexOf(name) !== index)

/**
 * The problems of a set of projects (empty when there are none): empty or duplicate names, an unknown default
 * version, a worker count below 1, an unknown retention mode, a sub-pipeline that does not exist or that contains itself.
 *
 * @since 1.0.0
 * @category utils
 */
export const problems = (projects: ReadonlyArray<ProjectDefinition>): Array<string> => {
  const found: Array<string> = []
  for (const name of duplicates(projects.map((project) => project.name))) {
    found.push(`project "${name}" is defined twice`)
  }
  for (const project of projects) {
    if (!isName(project.name)) found.push("a project has no name")
    const pipelines = new Map(project.pipelines.map((pipeline) => [pipeline.name, pipeline]))
    for (const name of duplicates(project.pipelines.map((pipeline) => pipeline.name))) {
      found.push(`pipeline "${name}" is defined twice in project "${project.name}"`)
    }
    const checkObjects = (where: string, objects: ReadonlyArray<ObjectDefinition>, trail: ReadonlyArray<string>) => {
      for (const name of duplicates(objects.map((object) => object.name))) {
        found.push(`${where}: object "${name}" is defined twice`)
      }
      for (const object of objects) {
        if (!isName(object.name)) found.push(`${where}: an object has no name`)
        if (object.kind !== "pipeline") continue
        if (object.objects !== undefined) {
          checkObjects(`${where}, sub-pipeline "${object.name}"`, object.objects, trail)
          continue
        }
        const target = pipelines.get(object.pipeline)
        if (target === undefined) {
          found.push(`${where}: sub-pipeline "${object.pipeline}" is not a pipeline of project "${project.name}"`)
        } else if (trail.includes(object.pipeline)) {
          found.push(`${where}: sub-pipeline "${object.pipeline}" contains itself`)
        } else {
          const version = object.version === undefined
            ? versionsOf(target).find((candidate) =>
              candidate.name === (target.defaultVersion ?? versionsOf(target)[0]?.name)
            )
            : versionsOf(target).find((candidate) => candidate.name === object.version)
          if (version === undefined) {
            found.push(`${where}: sub-pipeline "${object.pipeline}" has no version "${object.version ?? "(default)"}"`)
          } else {
            checkObjects(
              `pipeline "${object.pipeline}" version "${version.name}"`,
              version.objects ?? [],
              [...trail, object.pipeline]
            )
          }
        }
      }
    }
    for (const pipeline of project.pipelines) {
      const where = `pipeline "${pipeline.name}" of project "${project.name}"`
      if (!isName(pipeline.name)) found.push(`project "${project.name}": a pipeline has no name`)
      const versions = versionsOf(pipeline)
      if (versions.length === 0) found.push(`${where} has no versions`)
      for (const name of duplicates(versions.map((version) => version.name))) {
        found.push(`${where}: version "${name}" is defined twice`)
      }
      if (
        pipeline.defaultVersion !== undefined && !versions.some((version) => version.name === pipeline.defaultVersion)
      ) {
        found.push(`${where}: the default version "${pipeline.defaultVersion}" is not one of its versions`)
      }
      for (const version of versions) {
        if (!isName(version.name)) found.push(`${where}: a version has no name`)
        if (version.workers !== undefined && !(Number.isInteger(version.workers) && version.workers >= 1)) {
          found.push(`${where} version "${version.name}": workers must be an integer of at least 1`)
        }
        const retention = version.requestRetentionMode
        if (retention !== undefined && !retentionModes.includes(retention)) {
          found.push(
            `${where} version "${version.name}": requestRetentionMode must be one of ${
              retentionModes.join(", ")
            }, got "${String(retention)}"`
          )
        }
        checkObjects(`${where} version "${version.name}"`, version.objects ?? [], [pipeline.name])
      }
    }
  }
  return found
}
