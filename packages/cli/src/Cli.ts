/**
 * The `ubiops-effect` command line:
 *
 * ```
 * ubiops-effect batch --project P --pipeline X [--version V] --input in.jsonl --output out.jsonl
 *                     [--resume] [--ordered] [--concurrency N] [--window N] [--input-type structured|plain]
 *                     [--on-invalid fail|skip] [--on-uncertain fail|resubmit|report] [--host URL] [--token T]
 *                     [--no-progress]
 * ubiops-effect emulator [options]     (the emulator, as `pnpm emulator`; see `ubiops-effect emulator --help`)
 * ```
 *
 * @since 1.0.0
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as ApiHost from "@ubiops-effect/core/ApiHost"
import { Limits } from "@ubiops-effect/core/ApiParams"
import * as EmulatorCommand from "@ubiops-effect/emulator/Command"
import * as Progress from "@ubiops-effect/stream/Progress"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as BatchJob from "./BatchJob.js"
import { defaults as jobDefaults } from "./internal/defaults.js"
import { fileErrorMessage } from "./internal/errors.js"
import * as PlainConsole from "./PlainConsole.js"

/**
 * The command line is not usable as given (exit code 2).
 *
 * @since 1.0.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

const count = Progress.formatCount

const atLeast = (name: string, min: number, why = "") => (options: Options.Options<number>) =>
  Options.mapEffect(options, (value) =>
    value >= min
      ? Effect.succeed(value)
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name} must be at least ${min}${why}, got ${value}`))))

const connection = {
  host: Options.text("host").pipe(
    Options.withDescription("The API host. Default: UBIOPS_API_HOST, else https://api.ubiops.com/v2.1."),
    Options.optional,
    Options.withFallbackConfig(Config.option(Config.string("UBIOPS_API_HOST")))
  ),
  token: Options.redacted("token").pipe(
    Options.withDescription("The API token (with or without \"Token \"); never printed. Default: UBIOPS_API_TOKEN."),
    Options.optional,
    Options.withFallbackConfig(Config.option(Config.redacted("UBIOPS_API_TOKEN")))
  )
}

/** The options of `batch`, as parsed. */
export type BatchOptions = Command.Command.ParseConfig<typeof batchOptions>

const batchOptions = {
  project: Options.text("project").pipe(Options.withDescription("The UbiOps project.")),
  pipeline: Options.text("pipeline").pipe(Options.withDescription("The pipeline.")),
  // not `--version`: that one shows the command's own version
  version: Options.text("pipeline-version").pipe(
    Options.withDescription("The pipeline version. Default: the pipeline's default version."),
    Options.optional
  ),
  input: Options.file("input", { exists: "yes" }).pipe(
    Options.withDescription(
      "The JSONL input: one input per line (a JSON object, or a JSON string for --input-type plain)."
    )
  ),
  output: Options.file("output").pipe(
    Options.withDescription("The JSONL output: one line per input line, as results arrive.")
  ),
  resume: Options.boolean("resume").pipe(
    Options.withDescription(
      "Continue the run of this output after a crash or Ctrl-C (nothing is submitted twice). Default: off."
    )
  ),
  ordered: Options.boolean("ordered").pipe(
    Options.withDescription("Write the output in input order. Default: off (as results arrive).")
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription(
      `Batch creates (of up to ${Limits.maxItems} inputs) in flight at once. Default: ${jobDefaults.concurrency}.`
    ),
    Options.withDefault(jobDefaults.concurrency),
    atLeast("concurrency", 1)
  ),
  window: Options.integer("window").pipe(
    Options.withDescription(
      `Requests in flight at once (created, result not yet written). Default: ${count(jobDefaults.window)}.`
    ),
    Options.withDefault(jobDefaults.window),
    atLeast("window", Limits.maxItems, " (one chunk)")
  ),
  inputType: Options.choice("input-type", ["structured", "plain"]).pipe(
    Options.withDescription(
      "What the pipeline takes: JSON objects (structured) or strings (plain). Default: structured."
    ),
    Options.withDefault("structured" as const)
  ),
  onInvalid: Options.choice("on-invalid", ["fail", "skip"]).pipe(
    Options.withDescription(
      "A line that is not valid input: fail (report it, send nothing) or skip (write it as \"invalid\", run the " +
        "rest). Default: fail."
    ),
    Options.withDefault("fail" as const)
  ),
  onUncertain: Options.choice("on-uncertain", ["fail", "resubmit", "report"]).pipe(
    Options.withDescription(
      "Lines whose create may have been accepted, when the server cannot tell (no readable request_data): fail " +
        "(stop; nothing created twice), resubmit (create them again: never lost, perhaps run twice) or report (go " +
        "on, and write each as an `unconfirmed` line: never run twice, its result unknown). Default: fail."
    ),
    Options.withDefault("fail" as const)
  ),
  keepCancelled: Options.boolean("keep-cancelled").pipe(
    Options.withDescription(
      "With --resume: write the lines whose requests were cancelled (by a Ctrl-C) as \"cancelled\" instead of " +
        "running them again. Default: off."
    )
  ),
  noProgress: Options.boolean("no-progress").pipe(
    Options.withDescription("Do not draw the progress on stderr. Default: off (drawn).")
  ),
  ...connection
}

/**
 * What the process around the command wants to know of a run (see `Main.ts`).
 *
 * @since 1.0.0
 * @category models
 */
export class Hooks extends Context.Tag("@ubiops-effect/cli/Cli/Hooks")<Hooks, {
  /** The progress of a batch run, once it starts. */
  readonly onProgress: (progress: Progress.Progress) => void
  /** A batch job has started: from then on it reports an interrupt itself. */
  readonly onStart?: (() => void) | undefined
}>() {}

/**
 * What quitting now would leave on the server, by the progress of the run.
 *
 * @since 1.0.0
 * @category running
 */
export const leftBehind = (progress: Progress.Progress): string | undefined => {
  const snapshot = Effect.runSync(SubscriptionRef.get(progress))
  const unfinished = snapshot.submitted - Progress.finished(snapshot)
  // creates still under way when the process quits may have made requests the progress never heard of
  const unsubmitted = snapshot.phase === "running" && snapshot.total !== undefined
    ? snapshot.total - snapshot.submitted
    : 0
  if (unfinished + unsubmitted <= 0) return undefined
  const which = unsubmitted > 0
    ? `of this run (${count(unfinished)} created, up to ${count(unsubmitted)} more by creates ` +
      "that were under way)"
    : "created by this run"
  return `up to ${count(unfinished + unsubmitted)} requests ${which} may still be pending or running on ` +
    "the server. Run again with --resume to collect them (their results are written as they finish)"
}

const describe = (summary: BatchJob.Summary, output: string): string => {
  const { counts } = summary
  const total = counts.completed + counts.failed + counts.cancelled + counts.gone + counts.unconfirmed + counts.invalid
  const gone = counts.gone > 0 ? `${count(counts.gone)} gone from the server, ` : ""
  const unconfirmed = counts.unconfirmed > 0 ? `${count(counts.unconfirmed)} unconfirmed, ` : ""
  const earlier = summary.alreadyWritten > 0 ? ` (${count(summary.written)} by this run)` : ""
  const blank = summary.blank > 0 ? `; ${count(summary.blank)} blank input lines ignored` : ""
  return `done in ${(summary.elapsedMillis / 1000).toFixed(1)} s: ${count(total)} lines in ${output}` +
    `${earlier}: ${count(counts.completed)} completed, ${count(counts.failed)} failed, ` +
    `${count(counts.cancelled)} cancelled, ${gone}${unconfirmed}${count(counts.invalid)} invalid${blank}`
}

/**
 * `ubiops-effect batch`.
 *
 * @since 1.0.0
 * @category commands
 */
export const batch = Command.make("batch", batchOptions, (options) =>
  Effect.gen(function*() {
    const token: Redacted.Redacted<string> | undefined = Option.getOrUndefined(options.token)
    if (token === undefined) {
      return yield* new UsageError({ reason: "no API token: set UBIOPS_API_TOKEN or pass --token" })
    }
    // what no waiting can mend is said at once, as wrong usage
    const host = ApiHost.validateHost(Option.getOrUndefined(options.host))
    if (Either.isLeft(host)) return yield* new UsageError({ reason: host.left })
    const usableToken = ApiHost.validateToken(token)
    if (Either.isLeft(usableToken)) return yield* new UsageError({ reason: usableToken.left })
    const hooks = yield* Effect.serviceOption(Hooks)
    // the runner (the client, the stream package, the HTTP transport) loads only when a batch runs: --help does not
    // pay for it
    const { runBatch } = yield* Effect.promise(() => import("./internal/runBatch.js"))
    const summary = yield* runBatch(
      options,
      token,
      Option.getOrUndefined(hooks)?.onProgress,
      Option.getOrUndefined(hooks)?.onStart
    )
    yield* Console.error(describe(summary, options.output))
  })).pipe(
    Command.withDescription("Run every line of a JSONL file through a pipeline, writing one JSONL line per input.")
  )

/**
 * The root command: `batch` and `emulator`.
 *
 * @since 1.0.0
 * @category commands
 */
export const root = Command.make("ubiops-effect").pipe(
  Command.withDescription(
    "UbiOps pipeline requests from the command line: `batch` runs a JSONL file through a pipeline, `emulator` " +
      "starts a local UbiOps emulator. `ubiops-effect <command> --help` describes each."
  ),
  Command.withSubcommands([batch, EmulatorCommand.command])
)

const cli = Command.run(root, { name: "ubiops-effect", version: "0.1.0" })

/**
 * Runs the command line (`process.argv`: the first two entries are node and the script).
 *
 * @since 1.0.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<void, unknown> =>
  cli(argv).pipe(
    PlainConsole.withPlainConsole,
    Effect.provide(NodeContext.layer),
    // the run reports what matters itself; `--log-level info` shows the libraries' logs too
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )

/**
 * The process's exit code for the outcome of `main`: 0 done, 1 failed, 2 wrong usage or input, and
 * `interrupted` (default 130) when interrupted (Ctrl-C).
 *
 * @since 1.0.0
 * @category running
 */
export const exitCode = <A, E>(exit: Exit.Exit<A, E>, options?: { readonly interrupted?: number }): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return options?.interrupted ?? 130
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (ValidationError.isValidationError(error)) return 2
    const tag = (error as { readonly _tag?: unknown })._tag
    if (tag === "UsageError" || tag === "InvalidInput" || tag === "OutputConflict") return 2
  }
  return 1
}

/**
 * What to print for a failure: the error's message (`@effect/cli` already printed its own).
 *
 * @since 1.0.0
 * @category running
 */
export const report = <E>(cause: Cause.Cause<E>): string | undefined => {
  if (Cause.isInterruptedOnly(cause)) return undefined
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Cause.pretty(cause)
  if (ValidationError.isValidationError(failure.value)) return undefined
  const fileError = fileErrorMessage(failure.value)
  if (fileError !== undefined) return fileError
  const error = failure.value as { readonly message?: unknown }
  return typeof error.message === "string" ? error.message : String(failure.value)
}
