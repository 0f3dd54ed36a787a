/**
 * Ctrl-C while creates are ambiguous (issue 15, item 1): the server accepts each create but the reply is lost, and
 * every answer is slow. What the run finds on the server within the interrupt's time is cancelled; what it cannot
 * find in time is counted in its report, which must then equal what is left queued or running.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@ubiops-effect/emulator/Emulator"
import * as EmulatorServer from "@ubiops-effect/emulator/EmulatorServer"
import { Effect, Layer, Schedule } from "effect"
import { bin } from "./utils/cli.js"
import { tempDirectory, writeLines } from "./utils/files.js"
import { startScoped } from "./utils/group.js"

const token = "ambiguous-ctrl-c-token"

const emulator = Layer.merge(EmulatorServer.layerWithEmulator({ port: 0, token }), NodeContext.layer)

/** The requests the report says may still be queued or running (0 when it says none). */
const reportedLeft = (printed: string) => {
  const report = printed.split(/[\r\n]+/).find((line) => line.startsWith("interrupted:"))
  assert.isDefined(report, printed)
  const left = /up to ([0-9,]+) requests may still be queued or running/.exec(report!)
  return left === null ? 0 : Number(left[1].replace(/,/g, ""))
}

describe("Ctrl-C during creates whose replies are lost", () => {
  it.live(
    "cancels what it finds, and the count of what may still run is what is left on the server",
    () =>
      Effect.gen(function*() {
        const server = yield* EmulatorServer.EmulatorServer
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        // long requests: none finishes during the test, so whatever is not cancelled stays pending or processing
        yield* writeLines(input, Array.from({ length: 2_000 }, (_, n) => JSON.stringify({ seconds: 600, n })))
        yield* Emulator.setFaults({ seed: 11, dropAfterAccept: 0.6, latencyMs: [100, 500] })
        const group = yield* startScoped(process.execPath, [
          bin,
          ...["batch", "--project", "demo", "--pipeline", "sleep", "--no-progress"],
          ...["--input", input, "--output", `${directory}/out.jsonl`]
        ], { env: { UBIOPS_API_TOKEN: token, UBIOPS_API_HOST: server.baseUrl } })
        // Ctrl-C once the server dropped replies to creates it accepted
        yield* Emulator.stats.pipe(
          Effect.repeat({
            schedule: Schedule.spaced("50 millis"),
            until: (stats) => (stats.dropped?.afterAccept ?? 0) >= 2
          }),
          Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error(group.printed()) })
        )
        const interruptedAt = Date.now()
        group.signal("SIGINT")
        const exit = yield* Effect.promise(() => group.exited)
        const took = Date.now() - interruptedAt
        assert.strictEqual(exit.code, 130, group.printed())
        assert.isAtMost(took, 15_000, "the interrupt's time budget: a grace for creates, then one for cancels")
        const stats = yield* Emulator.stats
        const left = stats.statuses.pending + stats.statuses.processing
        assert.isAbove(stats.statuses.cancelled, 0, group.printed())
        assert.strictEqual(left, reportedLeft(group.printed()), group.printed())
        if (left > 0) assert.include(group.printed(), "--resume to finish: it finds those requests on the server")
      }).pipe(Effect.scoped, Effect.provide(emulator)),
    60_000
  )
})
