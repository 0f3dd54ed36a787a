/**
 * The requests of one pipeline version in creation order, cut into chunks that count their entries per
 * status. A page of a list walks the chunks from the newest, skips whole chunks by their counts while it
 * works off the offset, and reads entries only in the chunks that hold the page: its cost follows the page
 * and the number of chunks, not the number of requests.
 *
 * Entries are only ever appended (creation order is the order of `seq`), so a chunk never splits; removed
 * entries leave their chunk, and small neighbours are merged so that the number of chunks stays
 * proportional to the number of entries.
 */

/** The number of statuses an entry can have (its `status` is an index below this). */
export const statusCount = 5

/** What the log needs of an entry. */
export interface LogEntry {
  readonly seq: number
  readonly timeCreated: number
  /** The status the log files the entry under (set by `setStatus`). */
  listedStatus: number
  chunk: Chunk<any> | undefined
}

const capacity = 1024

/** @internal */
export class Chunk<E extends LogEntry> {
  readonly items: Array<E> = []
  readonly counts = new Int32Array(statusCount)
}

/** What a page selects. */
export interface PageQuery<E> {
  /** Bit `1 << status` set for every status to include. */
  readonly statusMask: number
  readonly offset: number
  readonly limit: number
  /** Only entries created at or after this time (epoch milliseconds). */
  readonly from?: number | undefined
  /** Only entries created at or before this time (epoch milliseconds). */
  readonly to?: number | undefined
  /** A further filter no index helps with (it is applied to every entry the walk reads). */
  readonly match?: ((entry: E) => boolean) | undefined
}

const indexInChunk = <E extends LogEntry>(items: ReadonlyArray<E>, seq: number): number => {
  let low = 0
  let high = items.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const value = items[middle].seq
    if (value === seq) return middle
    if (value < seq) low = middle + 1
    else high = middle - 1
  }
  return -1
}

export class RequestLog<E extends LogEntry> {
  private readonly chunks: Array<Chunk<E>> = []
  private entries = 0

  get size(): number {
    return this.entries
  }

  /** Appends an entry; its `seq` must be larger than every `seq` in the log. */
  append(entry: E): void {
    let last = this.chunks[this.chunks.length - 1]
    if (last === undefined || last.items.length >= capacity) {
      last = new Chunk<E>()
      this.chunks.push(last)
    }
    last.items.push(entry)
    last.counts[entry.listedStatus]++
    entry.chunk = last
    this.entries++
  }

  setStatus(entry: E, status: number): void {
    const chunk = entry.chunk
    if (chunk !== undefined) {
      chunk.counts[entry.listedStatus]--
      chunk.counts[status]++
    }
    entry.listedStatus = status
  }

  remove(entry: E): void {
    const chunk = entry.chunk as Chunk<E> | undefined
    if (chunk === undefined) return
    const index = indexInChunk(chunk.items, entry.seq)
    if (index < 0) return
    const position = this.chunkPosition(chunk)
    chunk.items.splice(index, 1)
    chunk.counts[entry.listedStatus]--
    entry.chunk = undefined
    this.entries--
    if (chunk.items.length === 0) {
      this.chunks.splice(position, 1)
    } else if (chunk.items.length < capacity / 4 && position > 0) {
      const previous = this.chunks[position - 1]
      if (previous.items.length + chunk.items.length <= capacity) {
        for (const moved of chunk.items) {
          previous.items.push(moved)
          previous.counts[moved.listedStatus]++
          moved.chunk = previous
        }
        this.chunks.splice(position, 1)
      }
    }
  }

  /** The entries of one page, newest first. */
  page(query: PageQuery<E>): Array<E> {
    const result: Array<E> = []
    if (query.limit <= 0) return result
    const { from, match, statusMask, to } = query
    let skip = query.offset
    for (let position = this.lastChunkAtOrBefore(to); position >= 0; position--) {
      const chunk = this.chunks[position]
      const items = chunk.items
      const first = items[0]
      const last = items[items.length - 1]
      if (from !== undefined && last.timeCreated < from) break
      const whole = (from === undefined || first.timeCreated >= from) && (to === undefined || last.timeCreated <= to)
      if (whole && match === undefined) {
        let selected = 0
        for (let status = 0; status < statusCount; status++) {
          if ((statusMask & (1 << status)) !== 0) selected += chunk.counts[status]
        }
        if (selected <= skip) {
          skip -= selected
          continue
        }
      }
      for (let index = items.length - 1; index >= 0; index--) {
        const entry = items[index]
        if (to !== undefined && entry.timeCreated > to) continue
        if (from !== undefined && entry.timeCreated < from) return result
        if ((statusMask & (1 << entry.listedStatus)) === 0) continue
        if (match !== undefined && !match(entry)) continue
        if (skip > 0) {
          skip--
          continue
        }
        result.push(entry)
        if (result.length >= query.limit) return result
      }
    }
    return result
  }

  /** Every entry with one of the statuses of the mask, oldest first. */
  *withStatus(statusMask: number): IterableIterator<E> {
    for (const chunk of this.chunks) {
      let selected = 0
      for (let status = 0; status < statusCount; status++) {
        if ((statusMask & (1 << status)) !== 0) selected += chunk.counts[status]
      }
      if (selected === 0) continue
      for (const entry of [...chunk.items]) {
        if ((statusMask & (1 << entry.listedStatus)) !== 0) yield entry
      }
    }
  }

  /** The number of chunks (for tests of the merge rule). */
  get chunkCount(): number {
    return this.chunks.length
  }

  private chunkPosition(chunk: Chunk<E>): number {
    const seq = chunk.items[0].seq
    let low = 0
    let high = this.chunks.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const candidate = this.chunks[middle]
      if (candidate === chunk) return middle
      if (candidate.items[0].seq < seq) low = middle + 1
      else high = middle - 1
    }
    return this.chunks.indexOf(chunk)
  }

  /** The position of the newest chunk whose first entry was created at or before `to`. */
  private lastChunkAtOrBefore(to: number | undefined): number {
    if (to === undefined) return this.chunks.length - 1
    let low = 0
    let high = this.chunks.length - 1
    let found = -1
    while (low <= high) {
      const middle = (low + high) >>> 1
      if (this.chunks[middle].items[0].timeCreated <= to) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found
  }
}
