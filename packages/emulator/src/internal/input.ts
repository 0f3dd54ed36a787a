/**
 * What a pipeline accepts and gives: the input of a create checked against the pipeline's input type, the
 * output of a run against its output type, and their sizes on the wire.
 */
import * as Either from "effect/Either"
import { structuredInputFromText } from "../Leniency.js"
import type { DataType } from "../PipelineDefinition.js"
import type { VersionState } from "./records.js"
import { rejected, type RequestRejected } from "./rejected.js"
import * as Wire from "./wire.js"

export const messageOf = (error: unknown): string => {
  if (typeof error === "string") return error
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "a list"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`

const fits = (type: DataType, value: unknown, allowList: boolean): boolean =>
  type === "structured"
    ? isPlainObject(value) || (allowList && Array.isArray(value) && value.every((item) => isPlainObject(item)))
    : typeof value === "string" ||
      (allowList && Array.isArray(value) && value.every((item) => typeof item === "string"))

/** An input as the pipeline takes it, with its size. */
export interface AcceptedInput {
  readonly input: unknown
  readonly size: number
}

/** The input as the pipeline takes it (structured input may come as JSON text), or a 400 naming what is wrong. */
export const acceptInput = (
  version: VersionState,
  data: unknown,
  where: string,
  allowList: boolean
): Either.Either<AcceptedInput, RequestRejected> => {
  const pipeline = version.pipeline
  const structured = pipeline.inputType === "structured"
  const input = structured && typeof data === "string" ? structuredInputFromText(data) ?? data : data
  if (!fits(pipeline.inputType, input, allowList)) {
    const expected = structured
      ? `structured input, which is a JSON object${allowList ? " (or a list of objects)" : ""}`
      : `plain input, which is a string${allowList ? " (or a list of strings)" : ""}`
    return rejected(400, `${where}: pipeline "${pipeline.name}" has ${expected}; got ${describeValue(input)}`)
  }
  try {
    return Either.right({ input, size: Wire.byteSize(input) })
  } catch (error) {
    return rejected(400, `${where}: the data is not valid JSON: ${messageOf(error)}`)
  }
}

/** The inputs of a batch: all of them, or the first problem. */
export const acceptInputs = (
  version: VersionState,
  data: ReadonlyArray<unknown>
): Either.Either<Array<AcceptedInput>, RequestRejected> => {
  const accepted: Array<AcceptedInput> = []
  for (let index = 0; index < data.length; index++) {
    const result = acceptInput(version, data[index], `data[${index}]`, false)
    if (Either.isLeft(result)) return Either.left(result.left)
    accepted.push(result.right)
  }
  return Either.right(accepted)
}

/** The size of a run's output, or why the pipeline cannot give it (the request then fails with this message). */
export const checkOutput = (
  outputType: DataType,
  output: unknown,
  input: AcceptedInput
): Either.Either<number, string> => {
  if (!fits(outputType, output, true)) {
    return Either.left(
      `The pipeline's output must be ${
        outputType === "structured" ? "a JSON object" : "a string"
      } (${outputType} output type); got ${describeValue(output)}`
    )
  }
  if (output === input.input) return Either.right(input.size)
  try {
    return Either.right(Wire.byteSize(output))
  } catch (error) {
    return Either.left(`The pipeline's output is not valid JSON: ${messageOf(error)}`)
  }
}
