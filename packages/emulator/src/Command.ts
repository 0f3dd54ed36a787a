/**
 * The `pnpm emulator` command: starts the emulator's HTTP server, prints its base URL and token, and runs
 * until interrupted (Ctrl-C).
 *
 * ```
 * pnpm emulator [--port 8080] [--host 127.0.0.1] [--token T] [--config pipelines.json] [--no-demo]
 *               [--max-finished N] [--max-body-bytes N]
 *               [--seed N] [--rate-limit N] [--error-rate STATUS=RATE ...] [--latency MIN,MAX]
 *               [--drop-before P] [--drop-after P]
 * ```
 *
 * @since 1.0.0
 */
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { parseArgs } from "node:util"
import * as ConfigFile from "./ConfigFile.js"
import * as Demo from "./Demo.js"
import { type EmulatorOptions, generateToken, layer as emulatorLayer } from "./Emulator.js"
import * as EmulatorServer from "./EmulatorServer.js"
import * as Faults from "./Faults.js"
import { versionsOf } from "./PipelineDefinition.js"

/**
 * @since 1.0.0
 * @category constants
 */
export const usage = `Usage: pnpm emulator [options]

A local emulator of the UbiOps pipeline-requests API (http://HOST:PORT/v2.1).

Options:
  --port N                 port to listen on (default 8080; 0 picks a free port)
  --host HOST              interface to listen on (default 127.0.0.1)
  --token T                the API token clients must send (default: a random one, printed)
  --config FILE            JSON file with more projects and pipelines (see the README)
  --no-demo                do not serve the built-in project "demo"
  --max-finished N         keep at most N finished requests, dropping the oldest (default 1000000)
  --max-body-bytes N       refuse larger request bodies with 413 (default 16777216)
Faults (also settable at run time with POST /_emulator/faults):
  --seed N                 make the random faults reproducible
  --rate-limit N           at most N calls per minute (429 beyond)
  --error-rate STATUS=P    answer a share P of the calls with STATUS (repeatable)
  --latency MIN,MAX        delay every call by MIN to MAX milliseconds
  --drop-before P          drop the connection of a share P of creates before storing them
  --drop-after P           drop the connection of a share P of creates after storing them
  --help                   show this help
`

/**
 * The command line is not valid.
 *
 * @since 1.0.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/**
 * What the command line asks for.
 *
 * @since 1.0.0
 * @category models
 */
export interface Arguments {
  readonly help: boolean
  readonly port: number
  readonly host: string
  readonly token: string | undefined
  readonly config: string | undefined
  readonly demo: boolean
  readonly maxFinishedRequests: number | undefined
  readonly maxBodyBytes: number | undefined
  readonly faults: Faults.FaultSettings
}

const integer = (name: string, value: string | undefined, min: number): number | undefined => {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < min) {
    throw new UsageError({ reason: `--${name} must be an integer of at least ${min}, got "${value}"` })
  }
  return number
}

const number = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (value.trim() === "" || !Number.isFinite(parsed)) {
    throw new UsageError({ reason: `--${name} must be a number, got "${value}"` })
  }
  return parsed
}

/**
 * Reads the command line (without the `node script` part).
 *
 * @since 1.0.0
 * @category constructors
 */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Arguments, UsageError> => {
  try {
    const { values } = parseArgs({
      args: [...argv].filter((arg) => arg !== "--"),
      strict: true,
      options: {
        help: { type: "boolean", default: false },
        port: { type: "string" },
        host: { type: "string" },
        token: { type: "string" },
        config: { type: "string" },
        "no-demo": { type: "boolean", default: false },
        "max-finished": { type: "string" },
        "max-body-bytes": { type: "string" },
        seed: { type: "string" },
        "rate-limit": { type: "string" },
        "error-rate": { type: "string", multiple: true },
        latency: { type: "string" },
        "drop-before": { type: "string" },
        "drop-after": { type: "string" }
      }
    })
    const errorRates: Record<string, number> = {}
    for (const entry of values["error-rate"] ?? []) {
      const match = /^(\d{3})=(.+)$/.exec(entry)
      if (match === null) {
        throw new UsageError({ reason: `--error-rate must be STATUS=RATE (500=0.03), got "${entry}"` })
      }
      errorRates[match[1]] = number("error-rate", match[2])!
    }
    let latencyMs: readonly [number, number] | undefined
    if (values.latency !== undefined) {
      const parts = values.latency.split(",").map((part) => number("latency", part)!)
      if (parts.length > 2) {
        throw new UsageError({ reason: `--latency must be MIN,MAX or one number, got "${values.latency}"` })
      }
      latencyMs = [parts[0], parts[1] ?? parts[0]]
    }
    const candidate = {
      seed: integer("seed", values.seed, Number.MIN_SAFE_INTEGER),
      rateLimitPerMinute: integer("rate-limit", values["rate-limit"], 1),
      errorRates: Object.keys(errorRates).length > 0 ? errorRates : undefined,
      latencyMs,
      dropBeforeAccept: number("drop-before", values["drop-before"]),
      dropAfterAccept: number("drop-after", values["drop-after"])
    }
    const faults = Schema.decodeUnknownEither(Faults.FaultSettings)(
      Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined))
    )
    if (Either.isLeft(faults)) {
      throw new UsageError({ reason: `invalid faults: ${ParseResult.TreeFormatter.formatErrorSync(faults.left)}` })
    }
    if (values.token !== undefined && (values.token.trim() === "" || /\s/.test(values.token))) {
      throw new UsageError({ reason: "--token must not be empty or contain spaces" })
    }
    return Either.right({
      help: values.help ?? false,
      port: integer("port", values.port, 0) ?? 8080,
      host: values.host ?? "127.0.0.1",
      token: values.token,
      config: values.config,
      demo: !(values["no-demo"] ?? false),
      maxFinishedRequests: integer("max-finished", values["max-finished"], 0),
      maxBodyBytes: integer("max-body-bytes", values["max-body-bytes"], 1),
      faults: faults.right
    })
  } catch (error) {
    if (error instanceof UsageError) return Either.left(error)
    return Either.left(new UsageError({ reason: error instanceof Error ? error.message : String(error) }))
  }
}

/**
 * Starts the server the arguments describe, prints how to reach it, and serves until interrupted.
 *
 * @since 1.0.0
 * @category constructors
 */
export const run = (args: Arguments): Effect.Effect<void, ConfigFile.ConfigFileError | HttpServerError.ServeError> =>
  Effect.gen(function*() {
    if (args.help) return yield* Console.log(usage)
    const projects = args.config === undefined ? [] : yield* ConfigFile.load(args.config)
    const options: EmulatorOptions = {
      token: args.token ?? generateToken(),
      projects,
      demo: args.demo,
      faults: args.faults,
      maxFinishedRequests: args.maxFinishedRequests,
      maxBodyBytes: args.maxBodyBytes
    }
    const served = [...(args.demo ? [Demo.project] : []), ...projects]
    yield* Effect.gen(function*() {
      const server = yield* EmulatorServer.EmulatorServer
      yield* Console.log(`UbiOps emulator listening on ${server.origin}`)
      yield* Console.log(`  base URL: ${server.baseUrl}`)
      yield* Console.log(`  token:    ${server.token}`)
      for (const project of served) {
        yield* Console.log(
          `  project ${project.name}: ${
            project.pipelines.map((pipeline) =>
              `${pipeline.name} (${versionsOf(pipeline).map((v) => v.name).join(", ")})`
            )
              .join(", ")
          }`
        )
      }
      if (Object.keys(args.faults).length > 0) yield* Console.log(`  faults:   ${JSON.stringify(args.faults)}`)
      yield* Console.log(`  stats:    ${server.origin}/_emulator/stats`)
      yield* Console.log(
        `Official client: UBIOPS_API_HOST=${server.baseUrl} UBIOPS_API_TOKEN="Token ${server.token}"`
      )
      yield* Console.log("Press Ctrl-C to stop.")
      return yield* Effect.never
    }).pipe(
      Effect.provide(
        EmulatorServer.layer({ port: args.port, host: args.host }).pipe(
          Layer.provideMerge(emulatorLayer(options))
        )
      ),
      Effect.onInterrupt(() => Console.log("UbiOps emulator stopped."))
    )
  })
