/**
 * Just enough of source maps (version 3) to turn a position in a bundle into a position in its sources: the
 * client bundles are what runs, so CPU profiles name bundle positions.
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const values = new Map([...alphabet].map((char, index) => [char, index]))

/** Segments of one generated line: [generated column, source index, source line, source column], all 0-based. */
type Segment = readonly [number, number, number, number]

export interface SourceMap {
  /** The original position of a 0-based generated line and column, or undefined. */
  readonly lookup: (line: number, column: number) => { readonly source: string; readonly line: number } | undefined
}

const decodeVlq = (text: string): Array<number> => {
  const numbers: Array<number> = []
  let value = 0
  let shift = 0
  for (const char of text) {
    const digit = values.get(char)!
    value += (digit & 31) << shift
    if ((digit & 32) !== 0) {
      shift += 5
      continue
    }
    numbers.push((value & 1) === 1 ? -(value >>> 1) : value >>> 1)
    value = 0
    shift = 0
  }
  return numbers
}

export const parseSourceMap = (json: { readonly sources: ReadonlyArray<string>; readonly mappings: string }) => {
  const lines: Array<Array<Segment>> = []
  let source = 0
  let sourceLine = 0
  let sourceColumn = 0
  for (const lineText of json.mappings.split(";")) {
    const segments: Array<Segment> = []
    let column = 0
    for (const segmentText of lineText.split(",")) {
      if (segmentText === "") continue
      const fields = decodeVlq(segmentText)
      column += fields[0]
      if (fields.length < 4) continue
      source += fields[1]
      sourceLine += fields[2]
      sourceColumn += fields[3]
      segments.push([column, source, sourceLine, sourceColumn])
    }
    lines.push(segments)
  }
  const map: SourceMap = {
    lookup: (line, column) => {
      const segments = lines[line]
      if (segments === undefined || segments.length === 0) return undefined
      let found: Segment | undefined
      for (const segment of segments) {
        if (segment[0] > column) break
        found = segment
      }
      found ??= segments[0]
      return { source: json.sources[found[1]], line: found[2] }
    }
  }
  return map
}
