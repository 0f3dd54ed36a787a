/**
 * V8's heap sized for a batch run rather than for throughput. By default the young generation grows to two 16 MB
 * semi-spaces and the old generation to 1.5 times and more of what survives a full GC; a batch run allocates
 * quickly (a collect reply is some 400 KB of JSON for 250 results) but keeps little (the requests in flight), so
 * both are mostly garbage waiting for a collection. Here the young generation stays at its initial 1 MB
 * semi-spaces and the old generation grows by 25% over what a full GC keeps: about half the peak RSS, for more
 * time in the garbage collector (see the cli README's "Memory and speed").
 *
 * These flags are read by V8 when it sizes its spaces, so they take effect when set at run time; heap flags given
 * on the command line or in `NODE_OPTIONS` are left as they are.
 */
import { setFlagsFromString } from "node:v8"

const heapFlag = /--(max|min)-semi-space-size|--semi-space-growth-factor|--heap-growing-percent|--max-old-space-size/

export const keepHeapSmall = (): void => {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ")
  if (heapFlag.test(given.replace(/_/g, "-"))) return
  setFlagsFromString("--semi-space-growth-factor=1")
  setFlagsFromString("--heap-growing-percent=25")
}
