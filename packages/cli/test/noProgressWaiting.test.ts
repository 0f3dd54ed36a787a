/**
 * A run without a progress line still says what it waits for (issue 15, item 6): when its first call cannot connect,
 * within seconds, and again while it lasts. The built executable, against a 127.0.0.1 port where nothing listens.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { createServer } from "node:net"
import { start } from "./utils/cli.js"
import { tempDirectory, writeLines } from "./utils/files.js"

/** A loopback port that was free a moment ago: connections to it are refused. */
const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("--no-progress", () => {
  it.live(
    "says within seconds that the connection is refused, and says it again while it lasts",
    () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory
        const input = `${directory}/in.jsonl`
        yield* writeLines(input, ["{\"n\": 1}"])
        const port = yield* closedPort
        const started = Date.now()
        const running = yield* start(
          [
            ...["batch", "--project", "demo", "--pipeline", "echo", "--no-progress"],
            ...["--input", input, "--output", `${directory}/out.jsonl`]
          ],
          { UBIOPS_API_TOKEN: "t", UBIOPS_API_HOST: `http://127.0.0.1:${port}/v2.1` }
        )
        const said = (count: number) =>
          Effect.sync(() =>
            running.printed().match(/waiting: retrying: could not connect \(ECONNREFUSED\)/g)?.length ?? 0
          )
            .pipe(
              Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (n) => n >= count }),
              Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(running.printed()) })
            )
        yield* said(1)
        assert.isAtMost(Date.now() - started, 5_000, running.printed())
        yield* said(2)
      }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)),
    40_000
  )
})
