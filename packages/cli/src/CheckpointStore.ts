/**
 * The checkpoint of a batch run, kept in a directory next to the output (`out.jsonl.checkpoint/`): the
 * `KeyValueStore` of `@effect/platform` on files, one file per key, with each write made atomic (a temporary
 * file renamed over the key's file), so that a crash in the middle of a write leaves the old value or the
 * new one, never a truncated file. Temporary files that a killed run left are removed when the store is opened
 * (one run at a time uses a checkpoint: see `OutputLock`).
 *
 * @since 1.0.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The checkpoint directory of an output file.
 *
 * @since 1.0.0
 * @category utils
 */
export const directoryOf = (output: string): string => `${output}.checkpoint`

/**
 * A `KeyValueStore` in `directory` (created if needed) whose writes are atomic.
 *
 * @since 1.0.0
 * @category layers
 */
export const layer = (
  directory: string
): Layer.Layer<KeyValueStore.KeyValueStore, PlatformError, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    KeyValueStore.KeyValueStore,
    Effect.gen(function*() {
      const files = yield* KeyValueStore.KeyValueStore
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      // temporary files of writes that a killed run left: no write of this store is under way yet
      const names = yield* fs.readDirectory(directory)
      yield* Effect.forEach(
        names.filter((name) => name.includes("#")),
        (name) => Effect.ignore(fs.remove(path.join(directory, name))),
        { discard: true }
      )
      let writes = 0
      return KeyValueStore.make({
        get: files.get,
        getUint8Array: files.getUint8Array,
        remove: files.remove,
        clear: files.clear,
        size: files.size,
        // the file name of a key as KeyValueStore.layerFileSystem names it; "#" never occurs in one
        set: (key, value) =>
          Effect.suspend(() => {
            const target = path.join(directory, encodeURIComponent(key))
            const temporary = `${target}#${process.pid}-${writes++}`
            const write = typeof value === "string"
              ? fs.writeFileString(temporary, value)
              : fs.writeFile(temporary, value)
            return Effect.zipRight(write, fs.rename(temporary, target))
          })
      })
    })
  ).pipe(Layer.provide(KeyValueStore.layerFileSystem(directory)))
