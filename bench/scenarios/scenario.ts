import type { Context } from "../lib/context.js"
import type { Row } from "../lib/figures.js"

export interface Scenario {
  readonly id: string
  readonly title: string
  readonly run: (context: Context) => Promise<ReadonlyArray<Row>>
}
