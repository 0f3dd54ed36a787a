/**
 * Medians, ranges, rows and the table.
 */

export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly values: ReadonlyArray<number>
}

export const summarize = (values: ReadonlyArray<number>): Summary => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length === 0
    ? Number.NaN
    : sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN, values }
}

/** One line of the table and of `latest.json`. `ours`, `reference` and `ratio` are medians over the runs. */
export interface Row {
  readonly scenario: string
  readonly figure: string
  readonly unit: string
  readonly ours: number | null
  readonly reference: number | null
  /** ours / reference, where a ratio means something. */
  readonly ratio: number | null
  readonly target: string
  /** null where the issue asks only to report the figure. */
  readonly pass: boolean | null
  readonly oursRange: readonly [number, number] | null
  readonly referenceRange: readonly [number, number] | null
  readonly runs: { readonly ours: ReadonlyArray<number>; readonly reference: ReadonlyArray<number> }
  readonly note?: string | undefined
}

const round = (value: number, digits: number): number => {
  const factor = Math.pow(10, digits)
  return Math.round(value * factor) / factor
}

/** Rounds a figure to a sensible number of significant digits for the JSON. */
export const tidy = (value: number): number => {
  if (!Number.isFinite(value)) return value
  const magnitude = Math.abs(value)
  return magnitude >= 1000 ? Math.round(value) : magnitude >= 10 ? round(value, 1) : round(value, 4)
}

export const makeRow = (options: {
  readonly scenario: string
  readonly figure: string
  readonly unit: string
  readonly ours: Summary | undefined
  readonly reference: Summary | undefined
  /** Compute ours / reference. */
  readonly ratio: boolean
  readonly target: string
  readonly check: ((ours: number, ratio: number | null) => boolean) | undefined
  readonly note?: string | undefined
}): Row => {
  const ours = options.ours
  const reference = options.reference
  const ratio = options.ratio && ours !== undefined && reference !== undefined && reference.median !== 0
    ? ours.median / reference.median
    : null
  return {
    scenario: options.scenario,
    figure: options.figure,
    unit: options.unit,
    ours: ours === undefined ? null : tidy(ours.median),
    reference: reference === undefined ? null : tidy(reference.median),
    ratio: ratio === null ? null : round(ratio, 3),
    target: options.target,
    pass: options.check === undefined || ours === undefined || Number.isNaN(ours.median)
      ? null
      : options.check(ours.median, ratio),
    oursRange: ours === undefined ? null : [tidy(ours.min), tidy(ours.max)],
    referenceRange: reference === undefined ? null : [tidy(reference.min), tidy(reference.max)],
    runs: { ours: ours?.values.map(tidy) ?? [], reference: reference?.values.map(tidy) ?? [] },
    note: options.note
  }
}

const show = (value: number | null): string => {
  if (value === null) return "-"
  if (!Number.isFinite(value)) return String(value)
  const magnitude = Math.abs(value)
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US")
  if (magnitude >= 10) return value.toFixed(1)
  if (magnitude >= 1) return value.toFixed(2)
  if (value === 0) return "0"
  return value.toPrecision(3)
}

const cell = (median: number | null, range: readonly [number, number] | null, runs: number): string =>
  median === null ? "-" : runs > 1 && range !== null
    ? `${show(median)} (${show(range[0])}..${show(range[1])})`
    : show(median)

/** The table as Markdown (it reads as a plain-text table in a terminal too). */
export const table = (rows: ReadonlyArray<Row>): string => {
  const header = ["#", "figure", "ours (min..max)", "reference (min..max)", "ratio", "target", "pass"]
  const lines = rows.map((row) => [
    row.scenario,
    `${row.figure}${row.unit === "" ? "" : ` [${row.unit}]`}`,
    cell(row.ours, row.oursRange, row.runs.ours.length),
    cell(row.reference, row.referenceRange, row.runs.reference.length),
    row.ratio === null ? "-" : `${row.ratio.toFixed(2)}x`,
    row.target,
    row.pass === null ? "reported" : row.pass ? "PASS" : "FAIL"
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)))
  const format = (line: ReadonlyArray<string>) =>
    `| ${line.map((text, column) => text.padEnd(widths[column])).join(" | ")} |`
  return [format(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...lines.map(format)].join(
    "\n"
  )
}
