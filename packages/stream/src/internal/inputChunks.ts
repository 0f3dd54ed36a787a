/**
 * Inputs cut into the chunks of a run, pulled lazily. An `Iterable` is read straight into arrays: `Stream.grouped`
 * costs a closure and a rechunker step per input, which a run of a million inputs pays a million times. A `Stream`
 * (an `AsyncIterable` is made one) goes through `Stream.grouped`.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const iterableChunks = <I>(inputs: Iterable<I>, size: number, skip: number): Stream.Stream<ReadonlyArray<I>> =>
  Stream.suspend(() => {
    const iterator = inputs[Symbol.iterator]()
    let skipped = 0
    let done = false
    const pull = Effect.suspend(() => {
      while (skipped < skip && !done) {
        done = iterator.next().done === true
        skipped++
      }
      const chunk: Array<I> = []
      while (!done && chunk.length < size) {
        const next = iterator.next()
        if (next.done === true) done = true
        else chunk.push(next.value)
      }
      return chunk.length === 0 ? Effect.fail(Option.none()) : Effect.succeed(chunk)
    })
    return Stream.repeatEffectOption(pull)
  })

/** The inputs after the first `skip`, in arrays of `size` (the last one maybe shorter). */
export const inputChunks = <I, E, R>(
  inputs: Iterable<I> | Stream.Stream<I, E, R>,
  size: number,
  skip: number
): Stream.Stream<ReadonlyArray<I>, E, R> => {
  if (!(Stream.StreamTypeId in inputs)) return iterableChunks(inputs, size, skip)
  return (skip > 0 ? Stream.drop(inputs, skip) : inputs).pipe(
    Stream.grouped(size),
    Stream.map(Chunk.toReadonlyArray)
  )
}
