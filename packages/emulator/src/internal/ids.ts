/**
 * Request ids. Every id is a well-formed UUID (version 4 layout) that carries the engine's random prefix, the
 * request's sequence number and which object of the request it names, so that no id string is stored and a
 * sub-request is found from its id alone.
 *
 *   pppppppp-pppp-4ppp-Viii-ssssssssssss
 *   p: engine prefix, V: variant digit (8, 9, a or b), i: object index (fff for the request itself),
 *   s: sequence number (48 bits)
 */
import { randomBytes } from "node:crypto"

/** The object index of the pipeline request itself. */
export const requestIndex = 0xfff

export interface ParsedId {
  readonly seq: number
  readonly index: number
}

export interface IdScheme {
  readonly format: (seq: number, index: number) => string
  readonly parse: (id: string) => ParsedId | undefined
}

const tail = /^[0-9a-f]{3}-[0-9a-f]{12}$/

const hex = (value: number, width: number) => value.toString(16).padStart(width, "0")

export const makeIdScheme = (): IdScheme => {
  const random = randomBytes(8).toString("hex")
  const head = `${random.slice(0, 8)}-${random.slice(8, 12)}-4${random.slice(12, 15)}-${
    "89ab"[parseInt(random[15], 16) % 4]
  }`
  const format = (seq: number, index: number) => `${head}${hex(index, 3)}-${hex(seq, 12)}`
  const parse = (id: string): ParsedId | undefined => {
    if (id.length !== 36 || !id.startsWith(head) || !tail.test(id.slice(20))) return undefined
    return { seq: parseInt(id.slice(24), 16), index: parseInt(id.slice(20, 23), 16) }
  }
  return { format, parse }
}
