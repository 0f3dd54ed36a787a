/**
 * The emulator: one engine with its token, faults and counters, and the core `PipelineRequests` service
 * implemented directly on it (no HTTP), for fast tests of code that uses UbiOps.
 *
 * @since 1.0.0
 */
import type * as Client from "@ubiops-effect/core/PipelineRequests"
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Backend from "@ubiops-effect/core/PipelineRequestsBackend"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as Demo from "./Demo.js"
import * as Engine from "./Engine.js"
import * as Faults from "./Faults.js"
import * as EngineBackend from "./internal/engineBackend.js"
import type { ProjectDefinition } from "./PipelineDefinition.js"
import * as Stats from "./Stats.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface EmulatorOptions {
  /** The API token clients must send (default: a random one; read it from `Emulator.token`). */
  readonly token?: string | Redacted.Redacted<string> | undefined
  /** Projects to serve besides `demo`. */
  readonly projects?: ReadonlyArray<ProjectDefinition> | undefined
  /** Serve the built-in project `demo` (default true). */
  readonly demo?: boolean | undefined
  /** Faults in force from the start (default none): settings, or a profile's name (`"ubiops"`: the real
   * service's 300 calls a minute and 2 s before a finished request shows as finished). */
  readonly faults?: Faults.FaultSettings | Faults.ProfileName | undefined
  /** At most this many finished requests are kept; the oldest finished go first (default 1,000,000). */
  readonly maxFinishedRequests?: number | undefined
  /** The largest request body the HTTP faces accept; larger ones get 413 (default 16 MiB). */
  readonly maxBodyBytes?: number | undefined
  /** The email of the (only) user: `GET /user` and every request's `origin.created_by`. */
  readonly userEmail?: string | undefined
}

/**
 * @since 1.0.0
 * @category constants
 */
export const defaults = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxFinishedRequests: Engine.defaults.maxFinishedRequests
} as const

/**
 * @since 1.0.0
 * @category models
 */
export interface Service {
  readonly engine: Engine.Engine
  readonly token: Redacted.Redacted<string>
  readonly faults: Faults.Faults
  readonly counters: Stats.Counters
  readonly maxBodyBytes: number
  /** The emulator's clock, in epoch milliseconds (the clock of the fiber that built it). */
  readonly now: () => number
}

/**
 * @since 1.0.0
 * @category tags
 */
export class Emulator extends Context.Tag("@ubiops-effect/emulator/Emulator")<Emulator, Service>() {}

/**
 * A random token of 40 hex digits.
 *
 * @since 1.0.0
 * @category utils
 */
export const generateToken = (): string => randomBytes(20).toString("hex")

/**
 * Builds an emulator. Its running requests live as long as the scope.
 *
 * @since 1.0.0
 * @category constructors
 */
export const make = (options: EmulatorOptions = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const projects = [...(options.demo === false ? [] : [Demo.project]), ...(options.projects ?? [])]
    const faults = Faults.make(options.faults)
    const engine = yield* Engine.make({
      projects,
      maxFinishedRequests: options.maxFinishedRequests,
      userEmail: options.userEmail,
      visibilityDelayMillis: faults.visibilityDelayMillis
    })
    const clock = yield* Effect.clock
    const token = options.token === undefined
      ? Redacted.make(generateToken())
      : typeof options.token === "string"
      ? Redacted.make(options.token)
      : options.token
    return {
      engine,
      token,
      faults,
      counters: new Stats.Counters(),
      maxBodyBytes: options.maxBodyBytes ?? defaults.maxBodyBytes,
      now: () => clock.unsafeCurrentTimeMillis()
    }
  })

/**
 * @since 1.0.0
 * @category layers
 */
export const layer = (options: EmulatorOptions = {}): Layer.Layer<Emulator> => Layer.scoped(Emulator, make(options))

/**
 * What the emulator has done so far.
 *
 * @since 1.0.0
 * @category accessors
 */
export const stats: Effect.Effect<Stats.Stats, never, Emulator> = Effect.flatMap(
  Emulator,
  (emulator) => Effect.map(emulator.engine.stats, (engine) => emulator.counters.snapshot(engine))
)

/**
 * Replaces the faults in force (`{}` turns them off; a profile's name, `"ubiops"`, sets that profile).
 *
 * @since 1.0.0
 * @category accessors
 */
export const setFaults = (settings: Faults.FaultSettings | Faults.ProfileName): Effect.Effect<void, never, Emulator> =>
  Effect.map(Emulator, (emulator) => emulator.faults.set(settings))

/**
 * The token clients must send.
 *
 * @since 1.0.0
 * @category accessors
 */
export const token: Effect.Effect<string, never, Emulator> = Effect.map(
  Emulator,
  (emulator) => Redacted.value(emulator.token)
)

/**
 * The core `PipelineRequests` service on this emulator's engine, without HTTP: core's table of operations
 * (`PipelineRequestsBackend.makeService`) on a backend that runs each operation on the engine. It refuses what
 * the real client refuses before sending (with `InvalidRequest`, from the same schemas), fails with the typed
 * errors the real client would give for the emulator's HTTP answers (operation, method and path as over HTTP), and
 * applies the faults in force: a spent rate limit is `RateLimited`, an error rate gives that status's error,
 * latency is slept on the emulator's clock, and a dropped connection is a `TransportError` (after the
 * requests were stored, for `dropAfterAccept`). There are no retries: those belong to the HTTP client.
 *
 * @since 1.0.0
 * @category constructors
 */
export const makePipelineRequests: Effect.Effect<Client.Service, never, Emulator> = Effect.map(
  Emulator,
  (emulator) => Backend.makeService(EngineBackend.make(emulator))
)

/**
 * The core `PipelineRequests` service on a new emulator (see `makePipelineRequests`), with the emulator
 * itself, to read its stats or set faults. Under `it.effect` it runs on the `TestClock`.
 *
 * @since 1.0.0
 * @category layers
 */
export const layerPipelineRequests = (options: EmulatorOptions = {}): Layer.Layer<PipelineRequests | Emulator> =>
  Layer.effect(PipelineRequests, makePipelineRequests).pipe(Layer.provideMerge(layer(options)))
