/**
 * The batch job's defaults, in a module of their own so that the command's help shows them without loading the
 * runner.
 */

export const defaults = {
  /** Larger than `Batch.run`'s: a file's inputs are typically all wanted at once, so more of them may wait in the
   * pipeline's queue (each in-flight request costs its input line and id in memory). */
  window: 10_000,
  /** `Batch.run`'s own default (a test checks that they agree). */
  concurrency: 4
} as const
