/**
 * V8 set up for a batch run rather than for throughput.
 *
 * - Heap: by default the young generation grows to two 16 MB semi-spaces and the old generation to 1.5 times and
 *   more of what survives a full GC; a batch run allocates quickly (a collect reply is some 400 KB of JSON for 250
 *   results) but keeps little (the requests in flight), so both are mostly garbage waiting for a collection. Here
 *   the young generation stays at its initial 1 MB semi-spaces and the old generation grows by 25% over what a full
 *   GC keeps: about half the peak RSS, for more time in the garbage collector.
 * - No TurboFan: a run's time goes to the garbage collector, `JSON.parse` and the Effect runtime's calls through
 *   many shapes, which optimized code does not make faster here; the optimizing compiler's own memory and code
 *   pages cost some 9 MB of peak RSS. Ignition and Sparkplug run everything.
 *
 * See the cli README's "Memory and speed". V8 reads these flags when it sizes its spaces and when it decides to
 * optimize, so they take effect when set at run time; flags of the same kind given on the command line or in
 * `NODE_OPTIONS` are left as they are.
 */
import { setFlagsFromString } from "node:v8"

const heapFlag = /--(max|min)-semi-space-size|--semi-space-growth-factor|--heap-growing-percent|--max-old-space-size/
const compilerFlag = /--(no-)?(turbofan|opt|maglev)\b|--max-opt/

export const configureV8 = (): void => {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ").replace(/_/g, "-")
  if (!heapFlag.test(given)) {
    setFlagsFromString("--semi-space-growth-factor=1")
    setFlagsFromString("--heap-growing-percent=25")
  }
  if (!compilerFlag.test(given)) setFlagsFromString("--no-opt")
}
