/**
 * Resuming a batch run after a crash: with a checkpoint (a `KeyValueStore`, here files in a directory, and a run
 * key), a run started again with the same inputs does not submit what was accepted before; it collects what is
 * outstanding and emits what was not emitted yet.
 *
 * The crash is played here by stopping the first run after 500 results without cancelling anything
 * (`onInterrupt: "detach"`), as a killed process would leave it.
 *
 *   npx tsx examples/resume.ts
 */
import { FileSystem, KeyValueStore } from "@effect/platform"
import { NodeContext, NodeKeyValueStore, NodeRuntime } from "@effect/platform-node"
import { Batch } from "@ubiops-effect/stream"
import { Chunk, Console, Effect, Stream } from "effect"
import { emulatorStats, PipelineRequestsLive, project } from "./connection.js"

const echo = { project, pipeline: "echo" }
const inputs = Array.from({ length: 2_000 }, (_, n) => ({ n }))

const runOnce = (stopAfter?: number) =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore.KeyValueStore
    const results = Batch.run(echo, inputs, {
      checkpoint: { store, key: "resume-example" },
      onInterrupt: "detach"
    })
    const taken = stopAfter === undefined ? results : Stream.take(results, stopAfter)
    return Chunk.toReadonlyArray(yield* Stream.runCollect(taken)).map((result) => result.index)
  })

const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "resume-example-" })
  const checkpoint = NodeKeyValueStore.layerFileSystem(directory)

  const first = yield* Effect.provide(runOnce(500), checkpoint)
  yield* Console.log(`first run: ${first.length} results, then it stopped`)

  const second = yield* Effect.provide(runOnce(), checkpoint)
  // A result counts as emitted once the next ones are pulled: those handed out just before the stop come again.
  const again = second.filter((index) => first.includes(index)).length
  yield* Console.log(`resumed run: ${second.length} results (${again} of them again)`)

  const seen = new Set([...first, ...second])
  yield* Console.log(`inputs with a result: ${seen.size} of ${inputs.length}`)
  const stats = yield* emulatorStats
  if (stats._tag === "Some") yield* Console.log(`requests created on the emulator: ${stats.value.created.total}`)
})

program.pipe(
  Effect.scoped,
  Effect.provide(PipelineRequestsLive()),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
