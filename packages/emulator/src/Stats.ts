/**
 * What the emulator has done, so that tests and benchmarks can prove "nothing duplicated, nothing lost" and
 * count calls per result: requests created, calls per operation, responses per status, requests per status.
 * Served at `GET /_emulator/stats` and by `Emulator.stats`.
 *
 * @since 1.0.0
 */
import type { EngineStats } from "./Engine.js"

/**
 * @since 1.0.0
 * @category models
 */
export interface Stats extends EngineStats {
  /** Calls per operation id (`batchPipelineRequestsCreate`, ..., and `serviceStatus`, `pipelinesGet`, `userGet`,
   * `projectsList` for what the CLI calls), counted whether they succeeded or not. */
  readonly calls: Record<string, number>
  /** Responses per HTTP status (for the in-memory service: the status the call would have had). */
  readonly responses: Record<string, number>
  /** Connections dropped on purpose (faults), by when. */
  readonly dropped: { readonly beforeAccept: number; readonly afterAccept: number }
}

/**
 * The counters of calls and responses.
 *
 * @since 1.0.0
 * @category models
 */
export class Counters {
  private readonly calls = new Map<string, number>()
  private readonly responses = new Map<number, number>()
  private droppedBefore = 0
  private droppedAfter = 0

  call(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1)
  }

  response(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1)
  }

  dropped(when: "before" | "after"): void {
    if (when === "before") this.droppedBefore++
    else this.droppedAfter++
  }

  snapshot(engine: EngineStats): Stats {
    return {
      ...engine,
      calls: Object.fromEntries(this.calls),
      responses: Object.fromEntries(Array.from(this.responses, ([status, count]) => [String(status), count])),
      dropped: { beforeAccept: this.droppedBefore, afterAccept: this.droppedAfter }
    }
  }
}
