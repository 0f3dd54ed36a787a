/**
 * The fault mix of the chaos tests, from the environment, so that a reviewer can rerun them with other mixes and
 * seeds:
 *
 * - `CHAOS_FAULTS`: the faults as `POST /_emulator/faults` takes them (JSON); default `defaultFaults`.
 * - `CHAOS_SEED`: the seed (an integer, or `random`); default 42, or the seed in `CHAOS_FAULTS`.
 * - `CHAOS_INPUTS`: inputs of the 20,000-input run (default 20000).
 * - `CHAOS_TIMEOUT_SECONDS`: the time each chaos test may take (default 180); harsh mixes take longer.
 */
import type { FaultSettings } from "@ubiops-effect/emulator/Faults"

/** 500 and 503 at 3 % each, 429 at 1 % (reset 1 s), creates dropped before and after acceptance (3 % each),
 * 0-10 ms latency on every call. */
export const defaultFaults: FaultSettings = {
  errorRates: { "500": 0.03, "503": 0.03, "429": 0.01 },
  latencyMs: [0, 10],
  dropBeforeAccept: 0.03,
  dropAfterAccept: 0.03
}

const parseSeed = (text: string | undefined): number | undefined => {
  if (text === undefined || text === "") return undefined
  if (text === "random") return Math.floor(Math.random() * 2 ** 31)
  const seed = Number(text)
  if (!Number.isInteger(seed)) throw new Error(`CHAOS_SEED must be an integer or "random", got ${text}`)
  return seed
}

/** The faults of this run: `CHAOS_FAULTS` (or the default mix) with `CHAOS_SEED`. */
export const chaosFaults = (): FaultSettings => {
  const text = process.env.CHAOS_FAULTS
  const faults = text === undefined || text === "" ? defaultFaults : JSON.parse(text) as FaultSettings
  return { ...faults, seed: parseSeed(process.env.CHAOS_SEED) ?? faults.seed ?? 42 }
}

export const chaosInputs = (fallback: number): number => {
  const text = process.env.CHAOS_INPUTS
  if (text === undefined || text === "") return fallback
  const count = Number(text)
  if (!Number.isInteger(count) || count < 1) throw new Error(`CHAOS_INPUTS must be a positive integer, got ${text}`)
  return count
}

/** How long each chaos test may take, in milliseconds (`CHAOS_TIMEOUT_SECONDS`, default 180). */
export const chaosTimeout = (): number => {
  const text = process.env.CHAOS_TIMEOUT_SECONDS
  const seconds = text === undefined || text === "" ? 180 : Number(text)
  if (!(seconds > 0)) throw new Error(`CHAOS_TIMEOUT_SECONDS must be a positive number, got ${text}`)
  return seconds * 1000
}
