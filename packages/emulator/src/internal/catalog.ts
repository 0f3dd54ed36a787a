/**
 * The projects, pipelines and versions an engine serves, built from their definitions: each version's
 * objects resolved into runnable steps (sub-pipelines by reference or inline), and a call's target resolved
 * to its version.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { PipelineWire, ProjectWire, Target } from "../Engine.js"
import type { ObjectContext, ObjectDefinition, PipelineDefinition, ProjectDefinition } from "../PipelineDefinition.js"
import { versionsOf } from "../PipelineDefinition.js"
import type { IdScheme } from "./ids.js"
import { type PipelineState, type ProjectState, type RunnableObject, VersionState } from "./records.js"
import { rejected, type RequestRejected } from "./rejected.js"
import * as Wire from "./wire.js"

export interface Catalog {
  readonly projects: ReadonlyMap<string, ProjectState>
  readonly versions: ReadonlyArray<VersionState>
  /** The version a call is for: the named one, or the pipeline's default. */
  readonly resolve: (target: Target) => Either.Either<VersionState, RequestRejected>
  readonly project: (name: string) => Either.Either<ProjectState, RequestRejected>
  readonly projectWire: (project: ProjectState) => ProjectWire
  readonly pipelineWire: (pipeline: PipelineState) => PipelineWire
}

const identity = (input: unknown) => Effect.succeed(input)

/** One object's work on its input: its latency, then its function. */
export const runObject = (
  object: RunnableObject,
  input: unknown,
  context: ObjectContext
): Effect.Effect<unknown, unknown> =>
  object.latencyMillis > 0
    ? Effect.zipRight(Effect.sleep(Duration.millis(object.latencyMillis)), object.run(input, context))
    : object.run(input, context)

/** Runs objects one after the other, each one's output being the next one's input (a sub-pipeline's run). */
const runChain = (objects: ReadonlyArray<RunnableObject>, input: unknown, context: ObjectContext) => {
  const go = (index: number, value: unknown): Effect.Effect<unknown, unknown> =>
    index >= objects.length
      ? Effect.succeed(value)
      : Effect.flatMap(runObject(objects[index], value, context), (output) => go(index + 1, output))
  return go(0, input)
}

const resolveObjects = (
  project: ProjectState,
  objects: ReadonlyArray<ObjectDefinition>
): ReadonlyArray<RunnableObject> =>
  objects.map((object): RunnableObject => {
    switch (object.kind) {
      case "deployment":
      case "operator": {
        const latencyMillis = Duration.toMillis(object.latency ?? 0)
        return {
          kind: object.kind,
          name: object.name,
          target: object.kind === "deployment" ? object.deployment ?? object.name : object.operator ?? "function",
          version: object.kind === "deployment" ? object.version ?? "v1" : null,
          latencyMillis,
          run: object.run ?? identity,
          passThrough: object.run === undefined && latencyMillis === 0
        }
      }
      case "pipeline": {
        if (object.objects !== undefined) {
          const inner = resolveObjects(project, object.objects)
          return {
            kind: "pipeline",
            name: object.name,
            target: object.pipeline,
            version: object.version ?? "v1",
            latencyMillis: 0,
            run: (input, context) => runChain(inner, input, context),
            passThrough: inner.every((object) => object.passThrough)
          }
        }
        const pipeline = project.pipelines.get(object.pipeline)!
        const version = object.version === undefined
          ? pipeline.defaultVersion
          : pipeline.versions.get(object.version)!
        return {
          kind: "pipeline",
          name: object.name,
          target: object.pipeline,
          version: version.name,
          latencyMillis: 0,
          run: (input, context) => runChain(version.objects, input, context),
          get passThrough() {
            return version.objects.every((object) => object.passThrough)
          }
        }
      }
    }
  })

const makePipeline = (project: ProjectState, definition: PipelineDefinition, id: string): PipelineState => {
  const definitions = versionsOf(definition)
  const versions = new Map<string, VersionState>()
  const inputType = definition.inputType ?? "structured"
  const state: PipelineState = {
    project,
    name: definition.name,
    id,
    description: definition.description ?? "",
    inputType,
    outputType: definition.outputType ?? inputType,
    versions,
    get defaultVersion() {
      return versions.get(definition.defaultVersion ?? definitions[0].name)!
    }
  }
  for (const version of definitions) {
    versions.set(
      version.name,
      new VersionState(state, version.name, version.workers ?? 1, version.requestRetentionMode ?? "full")
    )
  }
  return state
}

/** Builds the catalog of valid definitions (see `PipelineDefinition.problems`). */
export const makeCatalog = (
  definitions: ReadonlyArray<ProjectDefinition>,
  ids: IdScheme,
  startedAt: number
): Catalog => {
  const projects = new Map<string, ProjectState>()
  let nextDefinitionId = 0
  for (const definition of definitions) {
    const project: ProjectState = { name: definition.name, id: ids.format(0, nextDefinitionId++), pipelines: new Map() }
    projects.set(definition.name, project)
    for (const pipeline of definition.pipelines) {
      project.pipelines.set(pipeline.name, makePipeline(project, pipeline, ids.format(0, nextDefinitionId++)))
    }
  }
  // Objects are resolved once every pipeline exists, since a sub-pipeline may name any pipeline of its project.
  for (const definition of definitions) {
    const project = projects.get(definition.name)!
    for (const pipeline of definition.pipelines) {
      for (const version of versionsOf(pipeline)) {
        project.pipelines.get(pipeline.name)!.versions.get(version.name)!.objects = resolveObjects(
          project,
          version.objects ?? []
        )
      }
    }
  }
  const versions: Array<VersionState> = []
  for (const project of projects.values()) {
    for (const pipeline of project.pipelines.values()) {
      for (const version of pipeline.versions.values()) {
        version.passThrough = version.objects.every((object) => object.passThrough)
        versions.push(version)
      }
    }
  }

  const project = (name: string): Either.Either<ProjectState, RequestRejected> => {
    const found = projects.get(name)
    return found === undefined ? rejected(404, `Project "${name}" not found`) : Either.right(found)
  }

  const resolve = (target: Target): Either.Either<VersionState, RequestRejected> => {
    const found = projects.get(target.project)
    if (found === undefined) return rejected(404, `Project "${target.project}" not found`)
    const pipeline = found.pipelines.get(target.pipeline)
    if (pipeline === undefined) {
      return rejected(404, `Pipeline "${target.pipeline}" not found in project "${target.project}"`)
    }
    if (target.version === undefined) return Either.right(pipeline.defaultVersion)
    const version = pipeline.versions.get(target.version)
    return version === undefined
      ? rejected(404, `Version "${target.version}" of pipeline "${target.pipeline}" not found`)
      : Either.right(version)
  }

  const created = Wire.timestamp(startedAt)

  const projectWire = (project: ProjectState): ProjectWire => ({
    id: project.id,
    name: project.name,
    creation_date: created,
    advanced_permissions: false,
    credits: null,
    organization_name: "ubiops-emulator",
    labels: {}
  })

  const pipelineWire = (pipeline: PipelineState): PipelineWire => ({
    id: pipeline.id,
    name: pipeline.name,
    project: pipeline.project.name,
    description: pipeline.description,
    input_type: pipeline.inputType,
    input_fields: [],
    output_type: pipeline.outputType,
    output_fields: [],
    labels: {},
    creation_date: created,
    last_updated: created,
    default_version: pipeline.defaultVersion.name
  })

  return { projects, versions, resolve, project, projectWire, pipelineWire }
}
