/**
 * The list index: pages newest first over chunks counted per status, at a cost that follows the page.
 */
import { assert, describe, it } from "@effect/vitest"
import { type LogEntry, RequestLog } from "../src/internal/RequestLog.js"

interface Entry extends LogEntry {
  readonly label: string
}

const entry = (seq: number, status = 2, timeCreated = seq): Entry => ({
  seq,
  listedStatus: status,
  timeCreated,
  chunk: undefined,
  label: `r${seq}`
})

const fill = (count: number, statusOf: (seq: number) => number = () => 2) => {
  const log = new RequestLog<Entry>()
  const entries: Array<Entry> = []
  for (let seq = 1; seq <= count; seq++) {
    const created = entry(seq, statusOf(seq))
    entries.push(created)
    log.append(created)
  }
  return { log, entries }
}

const seqs = (entries: ReadonlyArray<Entry>) => entries.map((e) => e.seq)
const mask = (...statuses: Array<number>) => statuses.reduce((bits, status) => bits | (1 << status), 0)

describe("RequestLog", () => {
  it("pages newest first, with offset and limit, across chunk boundaries", () => {
    const { log } = fill(5000)
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2), offset: 0, limit: 3 })), [5000, 4999, 4998])
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2), offset: 1023, limit: 3 })), [3977, 3976, 3975])
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2), offset: 4998, limit: 5 })), [2, 1])
    assert.deepStrictEqual(log.page({ statusMask: mask(2), offset: 5000, limit: 5 }), [])
  })

  it("filters by statuses, dates and a further match", () => {
    const { log } = fill(3000, (seq) => seq % 3 === 0 ? 4 : seq % 3 === 1 ? 2 : 3)
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(4), offset: 0, limit: 2 })), [3000, 2997])
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2, 3), offset: 0, limit: 3 })), [2999, 2998, 2996])
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2, 3, 4), offset: 0, limit: 3, from: 1500, to: 1501 })), [
      1501,
      1500
    ])
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(4), offset: 1, limit: 2, to: 2000 })), [1995, 1992])
    assert.deepStrictEqual(
      seqs(log.page({ statusMask: mask(2, 3, 4), offset: 0, limit: 10, match: (e) => e.label.endsWith("777") })),
      [2777, 1777, 777]
    )
  })

  it("follows status changes and removals, and keeps the number of chunks proportional to the entries", () => {
    const { entries, log } = fill(10_000, () => 0)
    log.setStatus(entries[9999], 2)
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2), offset: 0, limit: 5 })), [10_000])
    assert.strictEqual(log.page({ statusMask: mask(0), offset: 0, limit: 50 }).length, 50)
    const chunksBefore = log.chunkCount
    for (const e of entries) if (e.seq % 100 !== 0) log.remove(e)
    assert.strictEqual(log.size, 100)
    assert.isBelow(log.chunkCount, chunksBefore / 4)
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(0), offset: 96, limit: 5 })), [300, 200, 100])
    assert.deepStrictEqual(seqs(log.page({ statusMask: mask(2), offset: 0, limit: 5 })), [10_000])
    for (const e of entries) log.remove(e)
    assert.strictEqual(log.size, 0)
    assert.strictEqual(log.chunkCount, 0)
    assert.deepStrictEqual(log.page({ statusMask: mask(0, 2), offset: 0, limit: 5 }), [])
  })

  it("a page costs what the page costs, not what the log holds (1,000,000 entries)", () => {
    // Every entry completed except ten cancelled ones at the start: the rare status and a deep offset are the
    // worst cases for a scan.
    const { log } = fill(1_000_000, (seq) => seq <= 10 ? 4 : 2)
    const small = fill(1_000, (seq) => seq <= 10 ? 4 : 2).log
    const median = (run: () => void, runs = 41) => {
      const samples: Array<number> = []
      for (let i = 0; i < runs; i++) {
        const start = performance.now()
        run()
        samples.push(performance.now() - start)
      }
      return samples.sort((a, b) => a - b)[runs >> 1]
    }
    const rare = (target: RequestLog<Entry>) => () => target.page({ statusMask: mask(4), offset: 0, limit: 50 })
    const deep = (target: RequestLog<Entry>) => () => target.page({ statusMask: mask(2), offset: 900, limit: 50 })
    assert.strictEqual(rare(log)().length, 10)
    const scanAll = median(() => {
      let found = 0
      for (const e of log.withStatus(mask(2, 4))) if (e.listedStatus === 4) found++
      assert.strictEqual(found, 10)
    }, 7)
    const pageLarge = Math.max(median(rare(log)), median(deep(log)))
    const pageSmall = Math.max(median(rare(small)), median(deep(small)))
    // The index walks chunk counts (about a thousand) instead of a million entries.
    assert.isBelow(pageLarge, scanAll / 20, `page ${pageLarge} ms, full scan ${scanAll} ms`)
    assert.isBelow(pageLarge, Math.max(1, pageSmall * 20), `1M: ${pageLarge} ms, 1k: ${pageSmall} ms`)
  })
})
