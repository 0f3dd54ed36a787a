/**
 * A first-in first-out queue on a growable array: `push` and `shift` in amortised constant time, without the
 * linear cost of `Array.prototype.shift`.
 */
export class RingQueue<A> {
  private items: Array<A | undefined> = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: A): void {
    this.items.push(item)
  }

  peek(): A | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  shift(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Keeps only the items that pass `keep`, in order. */
  retain(keep: (item: A) => boolean): void {
    const kept: Array<A> = []
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as A
      if (keep(item)) kept.push(item)
    }
    this.items = kept
    this.head = 0
  }

  *[Symbol.iterator](): IterableIterator<A> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as A
  }
}
