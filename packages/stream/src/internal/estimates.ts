/**
 * The estimates of the polling rule (see `PollingRule`). Like it, this module imports nothing.
 */

const smoothing = 0.2

const smooth = (current: number, sample: number): number =>
  Number.isNaN(current) ? sample : current + smoothing * (sample - current)

/** A server timestamp in epoch milliseconds, NaN when absent or unreadable. */
export const parseMillis = (timestamp: string | null | undefined): number => {
  if (timestamp === null || timestamp === undefined) return Number.NaN
  return Date.parse(timestamp)
}

/**
 * What the client learns from the server's timestamps: how long requests run (`time_started` to
 * `time_completed`), how long they take from creation to the end (`time_created` to `time_completed`), and how
 * far the server's clock is from ours.
 *
 * The clock offset (server minus local) is bounded by observations: a create's `time_created` lies between the
 * local send and receive times, and no server timestamp in a response is later than the server's clock when it
 * answered. Predictions are converted to local time with the lower bound (the upper one only when there is no
 * lower one): the latest local time a server time can stand for, so that not knowing the clock never makes a poll
 * early. A poll that comes early costs a call and finds nothing; one that comes late costs that much latency. With
 * the midpoint, creates slowed down by a busy client (480 ms: bounds [-29, 421] ms for clocks that agree) made
 * every poll about 100 ms early, and every wave of results took two polls.
 */
export class Estimates {
  /** Typical time from `time_started` to `time_completed`, in ms (NaN until a request finished). */
  duration = Number.NaN
  /** Typical time from `time_created` to `time_completed`, in ms (NaN until a request finished). */
  turnaround = Number.NaN
  private offsetLow = Number.NEGATIVE_INFINITY
  private offsetHigh = Number.POSITIVE_INFINITY

  get known(): boolean {
    return !Number.isNaN(this.duration) || !Number.isNaN(this.turnaround)
  }

  /** What is known of the clock offset (server minus local, ms): at least `low`, at most `high` (infinite when
   * there is no such bound yet). */
  get bounds(): { readonly low: number; readonly high: number } {
    return { low: this.offsetLow, high: this.offsetHigh }
  }

  /** Server time minus local time, as used for predictions: the lower bound (see above; 0 with no observation). */
  get offset(): number {
    if (this.offsetLow > Number.NEGATIVE_INFINITY) return this.offsetLow
    if (this.offsetHigh < Number.POSITIVE_INFINITY) return this.offsetHigh
    return 0
  }

  /** A server timestamp as local milliseconds. */
  toLocal(serverMillis: number): number {
    return serverMillis - this.offset
  }

  /** A create's `time_created`, sent between `sentAt` and `receivedAt` (local). */
  observeCreate(serverCreated: number, sentAt: number, receivedAt: number): void {
    if (Number.isNaN(serverCreated)) return
    const low = serverCreated - receivedAt
    const high = serverCreated - sentAt
    if (low > this.offsetHigh || high < this.offsetLow) {
      // the clocks moved (or a bound was wrong): start again from this observation
      this.offsetLow = low
      this.offsetHigh = high
      return
    }
    if (low > this.offsetLow) this.offsetLow = low
    if (high < this.offsetHigh) this.offsetHigh = high
  }

  /** A server timestamp seen in a response received at `receivedAt` (local). */
  observeTimestamp(serverMillis: number, receivedAt: number): void {
    if (Number.isNaN(serverMillis)) return
    const low = serverMillis - receivedAt
    if (low > this.offsetHigh) this.offsetHigh = Number.POSITIVE_INFINITY
    if (low > this.offsetLow) this.offsetLow = low
  }

  observeFinished(created: number, started: number, completed: number): void {
    if (Number.isNaN(completed)) return
    if (!Number.isNaN(started) && completed >= started) this.duration = smooth(this.duration, completed - started)
    if (!Number.isNaN(created) && completed >= created) this.turnaround = smooth(this.turnaround, completed - created)
  }
}
