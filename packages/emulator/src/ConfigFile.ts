/**
 * Pipelines defined in a JSON file (`pnpm emulator --config pipelines.json`). The file holds projects; the
 * objects of a version run one after the other, with a built-in function each:
 *
 * ```json
 * {
 *   "projects": [{
 *     "name": "shop",
 *     "pipelines": [{
 *       "name": "score", "inputType": "structured", "workers": 8,
 *       "objects": [
 *         { "kind": "deployment", "name": "model", "deployment": "scorer", "latencyMs": 150, "function": "echo" },
 *         { "kind": "operator", "name": "check", "function": "fail", "errorMessage": "out of stock" }
 *       ]
 *     }]
 *   }]
 * }
 * ```
 *
 * Functions: `echo` (the default: returns the input), `sleep` (`{"seconds": n}` waits n seconds), `fail`
 * (fails with `errorMessage`), `constant` (returns `output`). A pipeline or a version may set
 * `"requestRetentionMode"`: `full` (default), `metadata` or `none` (see `PipelineDefinition.RetentionMode`).
 *
 * The file may also set the faults in force from the start: `"faults": "ubiops"` (the real service's rate limit,
 * 300 calls a minute), or fault settings as `POST /_emulator/faults` takes them (`{ "profile": "ubiops",
 * "errorRates": { "503": 0.01 } }`). `loadFile` reads both; `load` reads the projects only.
 *
 * @since 1.0.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { readFile } from "node:fs/promises"
import { sleepFunction } from "./Demo.js"
import * as Faults from "./Faults.js"
import type {
  ObjectDefinition,
  ObjectFunction,
  PipelineDefinition,
  ProjectDefinition,
  VersionDefinition
} from "./PipelineDefinition.js"
import { problems } from "./PipelineDefinition.js"

const FunctionName = Schema.Literal("echo", "sleep", "fail", "constant")
const Name = Schema.String.pipe(Schema.minLength(1))
const LatencyMs = Schema.Number.pipe(Schema.nonNegative())
const DataType = Schema.Literal("structured", "plain")

const behaviour = {
  latencyMs: Schema.optional(LatencyMs),
  function: Schema.optional(FunctionName),
  errorMessage: Schema.optional(Schema.String),
  output: Schema.optional(Schema.Unknown)
}

const DeploymentConfig = Schema.Struct({
  kind: Schema.Literal("deployment"),
  name: Name,
  deployment: Schema.optional(Name),
  version: Schema.optional(Name),
  ...behaviour
})

const OperatorConfig = Schema.Struct({
  kind: Schema.Literal("operator"),
  name: Name,
  operator: Schema.optional(Name),
  ...behaviour
})

interface SubPipelineConfig {
  readonly kind: "pipeline"
  readonly name: string
  readonly pipeline: string
  readonly version?: string | undefined
  readonly objects?: ReadonlyArray<ObjectConfig> | undefined
}

type ObjectConfig = typeof DeploymentConfig.Type | typeof OperatorConfig.Type | SubPipelineConfig

const SubPipelineConfig: Schema.Schema<SubPipelineConfig> = Schema.Struct({
  kind: Schema.Literal("pipeline"),
  name: Name,
  pipeline: Name,
  version: Schema.optional(Name),
  objects: Schema.optional(Schema.Array(Schema.suspend((): Schema.Schema<ObjectConfig> => ObjectConfig)))
})

const ObjectConfig: Schema.Schema<ObjectConfig> = Schema.Union(DeploymentConfig, OperatorConfig, SubPipelineConfig)

const Workers = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))

const RetentionMode = Schema.Literal("full", "metadata", "none")

const VersionConfig = Schema.Struct({
  name: Name,
  workers: Schema.optional(Workers),
  requestRetentionMode: Schema.optional(RetentionMode),
  objects: Schema.optional(Schema.Array(ObjectConfig))
})

const PipelineConfig = Schema.Struct({
  name: Name,
  inputType: Schema.optional(DataType),
  outputType: Schema.optional(DataType),
  description: Schema.optional(Schema.String),
  defaultVersion: Schema.optional(Name),
  versions: Schema.optional(Schema.Array(VersionConfig)),
  workers: Schema.optional(Workers),
  requestRetentionMode: Schema.optional(RetentionMode),
  objects: Schema.optional(Schema.Array(ObjectConfig))
})

/**
 * The shape of the file.
 *
 * @since 1.0.0
 * @category schemas
 */
export const ConfigFile = Schema.Struct({
  projects: Schema.Array(Schema.Struct({ name: Name, pipelines: Schema.Array(PipelineConfig) })),
  /** The faults in force from the start: a profile's name, or fault settings. */
  faults: Schema.optional(Schema.Union(Faults.ProfileName, Faults.FaultSettings))
})

/**
 * What a config file sets up: its projects, and the faults in force from the start (if it names any).
 *
 * @since 1.0.0
 * @category models
 */
export interface Contents {
  readonly projects: ReadonlyArray<ProjectDefinition>
  readonly faults: Faults.FaultSettings | Faults.ProfileName | undefined
}

/**
 * The file could not be read, is not JSON, or does not describe valid pipelines.
 *
 * @since 1.0.0
 * @category errors
 */
export class ConfigFileError extends Data.TaggedError("ConfigFileError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

const functionOf = (
  config: {
    readonly function?: string | undefined
    readonly errorMessage?: string | undefined
    readonly output?: unknown
  }
): ObjectFunction => {
  switch (config.function) {
    case "sleep":
      return sleepFunction
    case "fail":
      return () => Effect.fail(config.errorMessage ?? "failed")
    case "constant":
      return () => Effect.succeed(config.output ?? null)
    default:
      return (input) => Effect.succeed(input)
  }
}

const toObject = (config: ObjectConfig): ObjectDefinition => {
  switch (config.kind) {
    case "deployment":
      return {
        kind: "deployment",
        name: config.name,
        deployment: config.deployment,
        version: config.version,
        latency: config.latencyMs,
        run: functionOf(config)
      }
    case "operator":
      return {
        kind: "operator",
        name: config.name,
        operator: config.operator,
        latency: config.latencyMs,
        run: functionOf(config)
      }
    case "pipeline":
      return {
        kind: "pipeline",
        name: config.name,
        pipeline: config.pipeline,
        version: config.version,
        objects: config.objects?.map(toObject)
      }
  }
}

const toVersion = (config: typeof VersionConfig.Type): VersionDefinition => ({
  name: config.name,
  workers: config.workers,
  requestRetentionMode: config.requestRetentionMode,
  objects: config.objects?.map(toObject)
})

const toPipeline = (config: typeof PipelineConfig.Type): PipelineDefinition => ({
  name: config.name,
  inputType: config.inputType,
  outputType: config.outputType,
  description: config.description,
  defaultVersion: config.defaultVersion,
  versions: config.versions?.map(toVersion),
  workers: config.workers,
  requestRetentionMode: config.requestRetentionMode,
  objects: config.objects?.map(toObject)
})

/**
 * The projects and faults a parsed file describes, or what is wrong with it.
 *
 * @since 1.0.0
 * @category constructors
 */
export const parseFile = (json: unknown): Either.Either<Contents, string> =>
  Either.flatMap(
    Either.mapLeft(
      Schema.decodeUnknownEither(ConfigFile, { onExcessProperty: "error" })(json),
      (error) => ParseResult.TreeFormatter.formatErrorSync(error)
    ),
    (file) => {
      const projects = file.projects.map((project) => ({
        name: project.name,
        pipelines: project.pipelines.map(toPipeline)
      }))
      const found = problems(projects)
      return found.length > 0 ? Either.left(found.join("; ")) : Either.right({ projects, faults: file.faults })
    }
  )

/**
 * The projects a parsed file describes, or what is wrong with it.
 *
 * @since 1.0.0
 * @category constructors
 */
export const parse = (json: unknown): Either.Either<ReadonlyArray<ProjectDefinition>, string> =>
  Either.map(parseFile(json), (contents) => contents.projects)

/**
 * Reads and checks a config file: its projects and its faults.
 *
 * @since 1.0.0
 * @category constructors
 */
export const loadFile = (path: string): Effect.Effect<Contents, ConfigFileError> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (error) => new ConfigFileError({ path, reason: error instanceof Error ? error.message : String(error) })
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (error) =>
          new ConfigFileError({ path, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` })
      })
    ),
    Effect.flatMap((json) => Either.mapLeft(parseFile(json), (reason) => new ConfigFileError({ path, reason })))
  )

/**
 * Reads and checks a config file's projects.
 *
 * @since 1.0.0
 * @category constructors
 */
export const load = (path: string): Effect.Effect<ReadonlyArray<ProjectDefinition>, ConfigFileError> =>
  Effect.map(loadFile(path), (contents) => contents.projects)
