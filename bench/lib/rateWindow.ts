/**
 * The least wall time a job of `calls` HTTP calls can take under the emulator's rate limit: its window is fixed
 * (60 s, opened by the first call), so the calls beyond each window's `limit` wait for the next window, and the
 * last window opens `60 × (⌈calls / limit⌉ − 1)` seconds after the first call. A job that fits in one window is
 * not bound by the limit at all (0 s): its wall time says nothing about pacing.
 */
export const windowSeconds = 60

export const boundSeconds = (calls: number, limit: number): number =>
  windowSeconds * Math.max(0, Math.ceil(calls / limit) - 1)

/** The name of the figure that compares a run's wall time with `boundSeconds`. */
export const againstBound = "wall time / least wall time (60 s x (windows needed - 1))"
