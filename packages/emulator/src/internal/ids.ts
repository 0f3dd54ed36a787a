/**
 * Ids that look like random version-4 UUIDs and still say which request they name, so that no id string is
 * stored and a request (or one of its object requests) is found from its id alone.
 *
 * An id encrypts its plaintext, (sequence number, object index), with a keyed permutation of the 122 bits a
 * version-4 UUID leaves free: a Feistel network of two 61-bit halves whose round function mixes 32-bit words.
 * The key is random per engine, so consecutive requests get unrelated ids (any prefix tells requests apart,
 * as with real UbiOps ids), and an id of another emulator, or any other UUID, decrypts to a plaintext whose
 * 61 check bits are not zero: it parses to nothing.
 *
 * Plaintext: left half = object index (12 bits) | sequence number (48 bits), right half = 0 (the check bits).
 * Layout of the ciphertext halves L and R in the id, each half as `hi` (29 bits) and `lo` (32 bits):
 *
 *   LLLLLLLL-llll-4lll-Vrrr-rrrrRRRRRRRR
 *   L: L.lo, l: low 28 bits of L.hi, V: variant digit 8 + (L.hi bit 28) * 2 + (R.hi bit 28),
 *   r: low 28 bits of R.hi, R: R.lo
 */
import { randomFillSync } from "node:crypto"

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

const rounds = 6
const hiMask = 0x1fffffff
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A 32-bit integer hash with good avalanche (the "lowbias32" finalizer). */
const mix = (value: number): number => {
  let x = value ^ (value >>> 16)
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

const byteHex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))
const hex4 = (value: number) => byteHex[value >>> 8] + byteHex[value & 0xff]
const hex8 = (value: number) => hex4(value >>> 16) + hex4(value & 0xffff)

/** A half of the block: `hi` holds 29 bits, `lo` 32. */
interface Half {
  hi: number
  lo: number
}

/** An id scheme with its key: two 32-bit words per round, random unless given. */
export const makeIdScheme = (key: Uint32Array = randomFillSync(new Uint32Array(2 * rounds))): IdScheme => {
  const round = (index: number, half: Half, into: Half) => {
    const a = mix(half.lo ^ key[2 * index])
    const b = mix((half.hi ^ a ^ key[2 * index + 1]) >>> 0)
    into.hi = (into.hi ^ b) & hiMask
    into.lo = (into.lo ^ mix((a + b) >>> 0)) >>> 0
  }

  const left: Half = { hi: 0, lo: 0 }
  const right: Half = { hi: 0, lo: 0 }

  /** Encrypts `left`/`right` in place. Round `i` changes the half that round `i - 1` did not. */
  const encrypt = () => {
    for (let index = 0; index < rounds; index++) {
      if (index % 2 === 0) round(index, left, right)
      else round(index, right, left)
    }
  }

  const decrypt = () => {
    for (let index = rounds - 1; index >= 0; index--) {
      if (index % 2 === 0) round(index, left, right)
      else round(index, right, left)
    }
  }

  const format = (seq: number, index: number): string => {
    left.hi = (index << 16) | Math.floor(seq / 0x100000000)
    left.lo = seq >>> 0
    right.hi = 0
    right.lo = 0
    encrypt()
    const l28 = left.hi & 0xfffffff
    const r28 = right.hi & 0xfffffff
    const variant = 8 + ((left.hi >>> 28) << 1) + (right.hi >>> 28)
    return `${hex8(left.lo)}-${hex4(l28 >>> 12)}-${hex4(0x4000 | (l28 & 0xfff))}-${
      hex4((variant << 12) | (r28 >>> 16))
    }-${hex4(r28 & 0xffff)}${hex8(right.lo)}`
  }

  const parse = (id: string): ParsedId | undefined => {
    if (id.length !== 36 || !uuid.test(id)) return undefined
    const variant = parseInt(id[19], 16) - 8
    left.lo = parseInt(id.slice(0, 8), 16)
    left.hi = ((variant >>> 1) << 28) | (parseInt(id.slice(9, 13), 16) << 12) | parseInt(id.slice(15, 18), 16)
    right.hi = ((variant & 1) << 28) | (parseInt(id.slice(20, 23), 16) << 16) | parseInt(id.slice(24, 28), 16)
    right.lo = parseInt(id.slice(28, 36), 16)
    decrypt()
    if (right.hi !== 0 || right.lo !== 0 || left.hi >>> 28 !== 0) return undefined
    return { seq: (left.hi & 0xffff) * 0x100000000 + left.lo, index: left.hi >>> 16 }
  }

  return { format, parse }
}
