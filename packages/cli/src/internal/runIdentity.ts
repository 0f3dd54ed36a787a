/**
 * What the checkpoint records about a batch job besides `Batch.run`'s own record, so that a resume with another
 * input, pipeline or input type is refused.
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as InputFile from "../InputFile.js"
import { OutputConflict } from "./errors.js"

/** What the checkpoint records about the run besides `Batch.run`'s own record. */
export interface RunIdentity {
  readonly input: string
  readonly inputBytes: number
  readonly project: string
  readonly pipeline: string
  readonly version: string | null
  readonly inputType: InputFile.InputType
}

const identityKey = "ubiops-effect-batch"

export const checkIdentity = (store: KeyValueStore.KeyValueStore, identity: RunIdentity, output: string) =>
  Effect.gen(function*() {
    const stored = yield* store.get(identityKey)
    if (Option.isNone(stored)) return yield* store.set(identityKey, JSON.stringify(identity))
    const previous = yield* Effect.try({
      try: () => JSON.parse(stored.value) as RunIdentity,
      catch: () =>
        new OutputConflict({
          reason: `${output}: its checkpoint is not readable; remove ${output} and its checkpoint to start over`
        })
    })
    const differences = (Object.keys(identity) as Array<keyof RunIdentity>)
      .filter((key) => previous[key] !== identity[key])
      .map((key) => `${key} was ${JSON.stringify(previous[key])}, now ${JSON.stringify(identity[key])}`)
    if (differences.length > 0) {
      return yield* new OutputConflict({
        reason: `${output} belongs to another run (${differences.join("; ")}): resume with the same input, ` +
          "pipeline and input type, or write to another output"
      })
    }
  })
