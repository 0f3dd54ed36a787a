/**
 * The `pnpm emulator` command (also `ubiops-effect emulator`): starts the emulator's HTTP server, prints its base
 * URL and token, and runs until interrupted (Ctrl-C). Its command line is built with `@effect/cli`, as the batch
 * command's is; `--help` lists every option with its default.
 *
 * ```
 * pnpm emulator [--port 8080] [--host 127.0.0.1] [--token T] [--config pipelines.json] [--no-demo]
 *               [--max-finished N] [--max-body-bytes N] [--profile ubiops]
 *               [--seed N] [--rate-limit N] [--error-rate STATUS=RATE ...] [--latency MIN,MAX]
 *               [--drop-before P] [--drop-after P] [--visibility-delay MS]
 * ```
 *
 * The server's modules are loaded when the command runs, so that a program that only lists the command (the
 * `ubiops-effect` root command) does not load them.
 *
 * @since 1.0.0
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as CliCommand from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as ConfigFile from "./ConfigFile.js"
import type { EmulatorOptions } from "./Emulator.js"
import * as Faults from "./Faults.js"

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
  readonly port: number
  readonly host: string
  readonly token: string | undefined
  readonly config: string | undefined
  readonly demo: boolean
  readonly maxFinishedRequests: number | undefined
  readonly maxBodyBytes: number | undefined
  readonly faults: Faults.FaultSettings
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = { port: 8080, host: "127.0.0.1" } as const

const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))

/** A number option whose errors name the option (`@effect/cli`'s own say "'x' is not a integer"). */
const numberOption = (name: string, description: string, kind: "integer" | "number", min = Number.NEGATIVE_INFINITY) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.withPseudoName(kind === "integer" ? "N" : "P"),
    Options.optional,
    Options.mapEffect(Option.match({
      onNone: () => Effect.succeed(undefined),
      onSome: (text) => {
        const value = text.trim() === "" ? Number.NaN : Number(text)
        if (kind === "number") {
          return Number.isFinite(value)
            ? Effect.succeed(value)
            : Effect.fail(invalid(`--${name} must be a number, got "${text}"`))
        }
        return Number.isInteger(value) && value >= min
          ? Effect.succeed(value)
          : Effect.fail(invalid(`--${name} must be an integer of at least ${min}, got "${text}"`))
      }
    }))
  )

const optionalInteger = (name: string, min: number, description: string) =>
  numberOption(name, description, "integer", min)

const optionalFloat = (name: string, description: string) => numberOption(name, description, "number")

const errorRate = (entry: string) => {
  const match = /^(\d{3})=(.+)$/.exec(entry)
  const rate = match === null ? Number.NaN : Number(match[2])
  return match === null || !Number.isFinite(rate)
    ? Either.left(`--error-rate must be STATUS=RATE (500=0.03), got "${entry}"`)
    : Either.right([match[1], rate] as const)
}

const latency = (text: string): Either.Either<readonly [number, number], string> => {
  const parts = text.split(",").map((part) => part.trim() === "" ? Number.NaN : Number(part))
  if (parts.length > 2 || parts.some((part) => !Number.isFinite(part))) {
    return Either.left(`--latency must be MIN,MAX or one number of milliseconds, got "${text}"`)
  }
  return Either.right([parts[0], parts[1] ?? parts[0]])
}

const faults = Options.all({
  profile: Options.choice("profile", ["ubiops"]).pipe(
    Options.withDescription(
      "Behave as the real service does: ubiops = its rate limit of 300 calls a minute and a visibility delay of " +
        "2000 ms. The other fault options apply over it. Default: none."
    ),
    Options.optional,
    Options.map(Option.getOrUndefined)
  ),
  seed: optionalInteger(
    "seed",
    Number.MIN_SAFE_INTEGER,
    "Makes the random faults reproducible. Default: none (a new sequence each run)."
  ),
  rateLimitPerMinute: optionalInteger("rate-limit", 1, "At most N calls per minute (429 beyond). Default: no limit."),
  errorRates: Options.text("error-rate").pipe(
    Options.withDescription(
      "Answers a share P of the calls with STATUS (STATUS=P, e.g. 500=0.03; repeatable). Default: none."
    ),
    Options.repeated,
    Options.mapEffect((entries) => {
      const rates: Record<string, number> = {}
      for (const entry of entries) {
        const parsed = errorRate(entry)
        if (Either.isLeft(parsed)) return Effect.fail(invalid(parsed.left))
        rates[parsed.right[0]] = parsed.right[1]
      }
      return Effect.succeed(entries.length > 0 ? rates : undefined)
    })
  ),
  latencyMs: Options.text("latency").pipe(
    Options.withDescription("Delays every call by MIN to MAX milliseconds (MIN,MAX or one number). Default: none."),
    Options.optional,
    Options.mapEffect(Option.match({
      onNone: () => Effect.succeed(undefined),
      onSome: (text) => Either.match(latency(text), { onLeft: (m) => Effect.fail(invalid(m)), onRight: Effect.succeed })
    }))
  ),
  dropBeforeAccept: optionalFloat(
    "drop-before",
    "Drops the connection of a share P of creates before storing them. Default: 0."
  ),
  dropAfterAccept: optionalFloat(
    "drop-after",
    "Drops the connection of a share P of creates after storing them. Default: 0."
  ),
  visibilityDelayMs: optionalInteger(
    "visibility-delay",
    0,
    "For N milliseconds after a request finished, reads show it as it was (UbiOps stores requests " +
      "asynchronously). Default: 0."
  )
}).pipe(
  Options.mapEffect((candidate) =>
    Either.match(
      Schema.decodeUnknownEither(Faults.FaultSettings)(
        Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined))
      ),
      {
        onLeft: (error) => Effect.fail(invalid(`invalid faults: ${ParseResult.TreeFormatter.formatErrorSync(error)}`)),
        onRight: Effect.succeed
      }
    )
  )
)

/**
 * The options of the command.
 *
 * @since 1.0.0
 * @category options
 */
export const options = {
  port: optionalInteger("port", 0, `The port to listen on (0 picks a free port). Default: ${defaults.port}.`).pipe(
    Options.map((port) => port ?? defaults.port)
  ),
  host: Options.text("host").pipe(
    Options.withDescription(`The interface to listen on. Default: ${defaults.host}.`),
    Options.withDefault(defaults.host)
  ),
  token: Options.text("token").pipe(
    Options.withDescription("The API token clients must send. Default: a random one, printed."),
    Options.optional,
    Options.mapEffect(Option.match({
      onNone: () => Effect.succeed(undefined),
      onSome: (token) =>
        token.trim() === "" || /\s/.test(token)
          ? Effect.fail(invalid("--token must not be empty or contain spaces"))
          : Effect.succeed(token)
    }))
  ),
  config: Options.text("config").pipe(
    Options.withDescription("A JSON file with more projects and pipelines (see the README). Default: none."),
    Options.optional,
    Options.map(Option.getOrUndefined)
  ),
  demo: Options.boolean("no-demo").pipe(
    Options.withDescription("Do not serve the built-in project \"demo\". Default: served."),
    Options.map((noDemo) => !noDemo)
  ),
  maxFinishedRequests: optionalInteger(
    "max-finished",
    0,
    "Keeps at most N finished requests, dropping the oldest. Default: 1000000."
  ),
  maxBodyBytes: optionalInteger("max-body-bytes", 1, "Refuses larger request bodies with 413. Default: 16777216."),
  faults
}

const plainText = (error: ValidationError.ValidationError): string =>
  ("error" in error ? HelpDoc.toAnsiText(error.error) : String(error)).replace(/\u001b\[[0-9;]*m/g, "").trim()

/**
 * Reads the command line (the arguments after the command's name) as the command does, without running it.
 *
 * @since 1.0.0
 * @category constructors
 */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Arguments, UsageError> =>
  Options.processCommandLine(Options.all(options), argv.filter((arg) => arg !== "--"), CliConfig.defaultConfig).pipe(
    Effect.mapError((error) => new UsageError({ reason: plainText(error) })),
    Effect.flatMap(([, rest, args]) =>
      rest.length === 0
        ? Effect.succeed(args)
        : Effect.fail(new UsageError({ reason: `unknown argument: ${rest[0]}` }))
    ),
    // the options read no file and prompt for nothing: the platform services are never called
    Effect.provide(NodeContext.layer),
    Effect.either,
    Effect.runSync
  )

/**
 * Starts the server the arguments describe, prints how to reach it, and serves until interrupted.
 *
 * @since 1.0.0
 * @category constructors
 */
export const run = (args: Arguments): Effect.Effect<void, ConfigFile.ConfigFileError | HttpServerError.ServeError> =>
  Effect.gen(function*() {
    const [ConfigFile, Demo, Emulator, EmulatorServer, { versionsOf }] = yield* Effect.promise(() =>
      Promise.all([
        import("./ConfigFile.js"),
        import("./Demo.js"),
        import("./Emulator.js"),
        import("./EmulatorServer.js"),
        import("./PipelineDefinition.js")
      ])
    )
    const file = args.config === undefined ? undefined : yield* ConfigFile.loadFile(args.config)
    const projects = file?.projects ?? []
    // fault options on the command line replace the file's faults
    const faults = Object.keys(args.faults).length > 0 ? args.faults : file?.faults ?? {}
    const options: EmulatorOptions = {
      token: args.token ?? Emulator.generateToken(),
      projects,
      demo: args.demo,
      faults,
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
      if (typeof faults === "string" || Object.keys(faults).length > 0) {
        yield* Console.log(`  faults:   ${JSON.stringify(faults)}`)
      }
      yield* Console.log(`  stats:    ${server.origin}/_emulator/stats`)
      yield* Console.log(
        `Official client: UBIOPS_API_HOST=${server.baseUrl} UBIOPS_API_TOKEN="Token ${server.token}"`
      )
      yield* Console.log("Press Ctrl-C to stop.")
      return yield* Effect.never
    }).pipe(
      Effect.provide(
        EmulatorServer.layer({ port: args.port, host: args.host }).pipe(
          Layer.provideMerge(Emulator.layer(options))
        )
      ),
      Effect.onInterrupt(() => Console.log("UbiOps emulator stopped."))
    )
  })

/**
 * The command, for `@effect/cli`: `emulator [options]`.
 *
 * @since 1.0.0
 * @category commands
 */
export const command = CliCommand.make("emulator", options, run).pipe(
  CliCommand.withDescription(
    "Starts a local emulator of the UbiOps pipeline-requests API (http://HOST:PORT/v2.1) and serves until Ctrl-C. " +
      "Faults can also be set at run time with POST /_emulator/faults."
  )
)
