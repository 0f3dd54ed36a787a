/**
 * The input and output files of a request or an object request: JSON for structured data, text for plain.
 */
import * as Either from "effect/Either"
import type { RequestFile } from "../Engine.js"
import { COMPLETED, statusNames } from "./records.js"
import { rejected, type RequestRejected } from "./rejected.js"

const file = (id: string, kind: "input" | "output", data: unknown): RequestFile =>
  typeof data === "string"
    ? { filename: `${id}-${kind}.txt`, contentType: "text/plain; charset=utf-8", body: data }
    : { filename: `${id}-${kind}.json`, contentType: "application/json", body: JSON.stringify(data) }

export const inputFile = (id: string, input: unknown): RequestFile => file(id, "input", input)

/** The output, once there is one: a request that has not completed has none (404). */
export const outputFile = (id: string, status: number, output: unknown): Either.Either<RequestFile, RequestRejected> =>
  status === COMPLETED
    ? Either.right(file(id, "output", output))
    : rejected(404, `Request "${id}" has no output: its status is ${statusNames[status]}`)
