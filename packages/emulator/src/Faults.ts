/**
 * Faults on demand: a rate limit per minute, error statuses at given rates, latency, and connections dropped
 * before or after a create was accepted. A seed makes the random choices reproducible: the same seed and the
 * same sequence of calls give the same faults.
 *
 * The settings are the body of `POST /_emulator/faults` (every field optional; `{}` turns faults off):
 *
 * ```json
 * { "seed": 42, "rateLimitPerMinute": 600, "errorRates": { "500": 0.03, "503": 0.03 },
 *   "latencyMs": [0, 20], "dropBeforeAccept": 0.02, "dropAfterAccept": 0.02 }
 * ```
 *
 * A named profile stands for the real service's behaviour: `{ "profile": "ubiops" }` (or just `"ubiops"` where
 * the emulator's options or config file take faults) is UbiOps' own rate limit, 300 calls a minute. Settings
 * given with a profile apply over it: `{ "profile": "ubiops", "errorRates": { "503": 0.01 } }`.
 *
 * @since 1.0.0
 */
import * as Schema from "effect/Schema"

const Probability = Schema.Number.pipe(
  Schema.between(0, 1, { message: (issue) => `must be a probability from 0 to 1, got ${String(issue.actual)}` })
)

const Millis = Schema.Number.pipe(
  Schema.nonNegative({
    message: (issue) => `must be a number of milliseconds of at least 0, got ${String(issue.actual)}`
  })
)

/**
 * The names of the fault profiles (`profiles`).
 *
 * @since 1.0.0
 * @category schemas
 */
export const ProfileName = Schema.Literal("ubiops")

/**
 * @since 1.0.0
 * @category models
 */
export type ProfileName = typeof ProfileName.Type

/**
 * @since 1.0.0
 * @category schemas
 */
export const FaultSettings = Schema.Struct({
  /** A named profile (`profiles`) whose settings apply under the others given here. */
  profile: Schema.optional(ProfileName),
  /** Seeds the random choices (any integer). */
  seed: Schema.optional(Schema.Int),
  /** At most this many `/v2.1` calls per minute; more get 429 with `x-ratelimit-*` headers. */
  rateLimitPerMinute: Schema.optional(Schema.Int.pipe(Schema.positive())),
  /** The share of `/v2.1` calls answered with each status (without performing the call). */
  errorRates: Schema.optional(
    Schema.Record({ key: Schema.String, value: Probability }).pipe(
      Schema.filter((rates) => {
        const wrong = Object.keys(rates).filter((status) => !/^[45][0-9][0-9]$/.test(status))
        return wrong.length === 0
          ? true
          : `error statuses must be HTTP error codes from 400 to 599, got ${wrong.join(", ")}`
      })
    )
  ),
  /** Every `/v2.1` call waits a uniformly random time in this range, in milliseconds. */
  latencyMs: Schema.optional(
    Schema.Tuple(Millis, Millis).pipe(
      Schema.filter(([min, max]) => min <= max ? true : `latencyMs must be [min, max] with min <= max`)
    )
  ),
  /** The share of creates whose connection is dropped before the requests are stored. */
  dropBeforeAccept: Schema.optional(Probability),
  /** The share of creates whose connection is dropped after the requests are stored. */
  dropAfterAccept: Schema.optional(Probability),
  /** For this long after a request finished, reads (get, collect, list, the output) show it as it was before:
   * the real service stores requests asynchronously, "a couple of seconds" after they complete. */
  visibilityDelayMs: Schema.optional(Millis)
}).pipe(
  Schema.filter((settings) => {
    const errorTotal = Object.values(settings.errorRates ?? {}).reduce((sum, rate) => sum + rate, 0)
    if (errorTotal > 1) return `the error rates add up to ${errorTotal}, more than 1`
    const dropTotal = (settings.dropBeforeAccept ?? 0) + (settings.dropAfterAccept ?? 0)
    if (dropTotal > 1) return `dropBeforeAccept and dropAfterAccept add up to ${dropTotal}, more than 1`
    return true
  })
)

/**
 * @since 1.0.0
 * @category models
 */
export type FaultSettings = typeof FaultSettings.Type

/**
 * The named fault profiles. `ubiops` is the real service as its documentation states it: 300 requests a minute
 * on the requests endpoints (UBIOPS-WIRE.md §4, "Rate limiting"), and a finished request visible as such 2 s
 * after it finished ("a couple of seconds", ubiops.com/docs/requests/request-settings). The real limit is per
 * source IP; the emulator counts every `/v2.1` call it serves in one fixed window of 60 s, which is the same thing
 * for one app on one machine, and stricter for several tokens.
 *
 * @since 1.0.0
 * @category constants
 */
export const profiles: { readonly [Name in ProfileName]: FaultSettings } = {
  ubiops: { rateLimitPerMinute: 300, visibilityDelayMs: 2000 }
}

/**
 * The settings in force for settings that may name a profile (or be only a profile's name): the profile's, with
 * the settings given over them.
 *
 * @since 1.0.0
 * @category utils
 */
export const resolve = (settings: FaultSettings | ProfileName): FaultSettings => {
  if (typeof settings === "string") return profiles[settings]
  if (settings.profile === undefined) return settings
  const { profile, ...given } = settings
  return { ...profiles[profile], ...given }
}

/**
 * The rate-limit window as the `x-ratelimit-*` headers report it.
 *
 * @since 1.0.0
 * @category models
 */
export interface RateWindow {
  readonly limit: number
  readonly remaining: number
  /** Whole seconds until the window resets (at least 1 while the window is spent). */
  readonly resetSeconds: number
}

/**
 * What happens to one call.
 *
 * @since 1.0.0
 * @category models
 */
export interface Verdict {
  /** Refused with 429: the rate limit of the minute is spent. */
  readonly rateLimited: boolean
  /** How long to wait before answering. */
  readonly latencyMillis: number
  /** Answer with this status instead of performing the call. */
  readonly errorStatus: number | undefined
  /** For creates: destroy the connection before or after storing the requests. */
  readonly drop: "before" | "after" | undefined
}

/**
 * The limit reported when no rate limit is set (UbiOps' own: 300 per minute). It is not enforced then, and
 * `x-ratelimit-remaining` stays at it, so that clients pacing themselves on the headers are not slowed down.
 *
 * @since 1.0.0
 * @category constants
 */
export const reportedDefaultLimit = 300

const windowMillis = 60_000

/** A small, fast, seedable generator (mulberry32): the same seed gives the same sequence. */
const generator = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The faults in force and the state they need (the random generator and the rate window).
 *
 * @since 1.0.0
 * @category models
 */
export interface Faults {
  readonly settings: () => FaultSettings
  /** Replaces the settings (or sets a profile by name), reseeds the generator and opens a new rate window. */
  readonly set: (settings: FaultSettings | ProfileName) => void
  /** Decides the fate of one `/v2.1` call at `now` (epoch milliseconds) and counts it in the rate window. */
  readonly decide: (now: number, isCreate: boolean) => Verdict
  /** The rate window at `now`, for the `x-ratelimit-*` headers. */
  readonly window: (now: number) => RateWindow
  /** The visibility delay in force, in milliseconds (0: none). */
  readonly visibilityDelayMillis: () => number
}

/**
 * @since 1.0.0
 * @category constructors
 */
export const make = (initial: FaultSettings | ProfileName = {}): Faults => {
  /** As given (what `GET /_emulator/faults` shows). */
  let given: FaultSettings = {}
  /** In force: the profile's settings under the ones given. */
  let settings: FaultSettings = {}
  let random = Math.random
  let windowStart: number | undefined
  let used = 0

  const set = (next: FaultSettings | ProfileName) => {
    given = typeof next === "string" ? { profile: next } : next
    settings = resolve(next)
    random = settings.seed === undefined ? Math.random : generator(settings.seed)
    windowStart = undefined
    used = 0
  }

  const roll = (now: number) => {
    if (windowStart === undefined || now >= windowStart + windowMillis) {
      windowStart = now
      used = 0
    }
  }

  const window = (now: number): RateWindow => {
    roll(now)
    const limit = settings.rateLimitPerMinute ?? reportedDefaultLimit
    const remaining = settings.rateLimitPerMinute === undefined ? limit : Math.max(0, limit - used)
    return { limit, remaining, resetSeconds: Math.max(1, Math.ceil((windowStart! + windowMillis - now) / 1000)) }
  }

  const decide = (now: number, isCreate: boolean): Verdict => {
    roll(now)
    const limit = settings.rateLimitPerMinute
    if (limit !== undefined && used >= limit) {
      return { rateLimited: true, latencyMillis: 0, errorStatus: undefined, drop: undefined }
    }
    used++
    let latencyMillis = 0
    if (settings.latencyMs !== undefined) {
      const [min, max] = settings.latencyMs
      latencyMillis = Math.round(min + random() * (max - min))
    }
    let errorStatus: number | undefined
    if (settings.errorRates !== undefined) {
      let draw = random()
      for (const [status, rate] of Object.entries(settings.errorRates)) {
        if (draw < rate) {
          errorStatus = Number(status)
          break
        }
        draw -= rate
      }
    }
    let drop: Verdict["drop"]
    if (
      isCreate && errorStatus === undefined && (settings.dropBeforeAccept ?? 0) + (settings.dropAfterAccept ?? 0) > 0
    ) {
      const draw = random()
      const before = settings.dropBeforeAccept ?? 0
      drop = draw < before ? "before" : draw < before + (settings.dropAfterAccept ?? 0) ? "after" : undefined
    }
    return { rateLimited: false, latencyMillis, errorStatus, drop }
  }

  set(initial)
  return {
    settings: () => given,
    set,
    decide,
    window,
    visibilityDelayMillis: () => settings.visibilityDelayMs ?? 0
  }
}
