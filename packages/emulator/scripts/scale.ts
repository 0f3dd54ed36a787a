/**
 * The scale claim, measured: with 1,000,000 stored requests, list and collect cost what they cost with 1,000;
 * and with retention on, memory stays flat while millions of requests pass through.
 *
 *   node --expose-gc --import tsx packages/emulator/scripts/scale.ts
 *
 * Part 1 fills emulators with 1k, 100k and 1M finished requests (a pipeline without objects) and times,
 * through the in-memory service and over HTTP on 127.0.0.1: a list page (default filter), a deep page
 * (offset 900 of a 1,000-request window near the start, by dates), a rare status (`cancelled`, 10 requests),
 * and collect of 250 ids spread over the store. Part 2 pushes 2,000,000 `echo` requests through an emulator
 * that keeps 100,000 finished ones and samples the heap.
 */
import { PipelineRequests } from "@ubiops-effect/core/PipelineRequests"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorServer from "../src/EmulatorServer.js"
import type { ProjectDefinition } from "../src/PipelineDefinition.js"

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const project: ProjectDefinition = { name: "scale", pipelines: [{ name: "store", workers: 64 }] }
const target = { project: "scale", pipeline: "store" }

const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Median milliseconds of `runs` runs of `task`, after a warm-up. */
const time = (runs: number, task: () => Promise<unknown>): Effect.Effect<number> =>
  Effect.promise(async () => {
    for (let i = 0; i < 5; i++) await task()
    const samples: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const start = performance.now()
      await task()
      samples.push(performance.now() - start)
    }
    return Number(median(samples).toFixed(3))
  })

const fill = (size: number) =>
  Effect.gen(function*() {
    const client = yield* PipelineRequests
    const ids: Array<string> = []
    const input = Array.from({ length: 250 }, (_, n) => ({ n }))
    let windowStart: Date | undefined
    let windowEnd: Date | undefined
    const keepPerBatch = Math.ceil(250 / Math.ceil(size / 250))
    for (let created = 0; created < size; created += 250) {
      if (created === 1000) windowStart = new Date()
      const batch = yield* client.createBatch(target, input)
      for (let n = 0; n < keepPerBatch; n++) ids.push(batch[Math.floor((n * 250) / keepPerBatch)].id)
      if (created === 1750) windowEnd = new Date()
      if (created % 25_000 === 0) yield* Effect.sleep(0)
    }
    yield* Effect.sleep(50)
    // a rare status: ten cancelled requests, the newest ones
    const rare = yield* client.createBatch({ ...target }, input.slice(0, 10), { timeout: 10 })
    yield* client.cancelBatch(target, rare.map((item) => item.id))
    return { ids, windowStart: windowStart ?? new Date(0), windowEnd: windowEnd ?? new Date() }
  })

const measure = (size: number) =>
  Effect.gen(function*() {
    const client = yield* PipelineRequests
    const started = performance.now()
    const { ids, windowEnd, windowStart } = yield* fill(size)
    const fillSeconds = (performance.now() - started) / 1000
    const stats = yield* Emulator.stats
    const server = yield* EmulatorServer.EmulatorServer
    const spread = Array.from({ length: 250 }, (_, n) => ids[Math.floor((n * ids.length) / 250)])
    if (new Set(spread).size !== 250) throw new Error("collect needs 250 distinct ids")
    const run = <A, E>(effect: Effect.Effect<A, E>) => () => Effect.runPromise(effect)
    const headers = { authorization: `Token ${server.token}`, "content-type": "application/json" }
    const base = `${server.baseUrl}/projects/scale/pipelines/store/requests`
    const http = (path: string, init?: RequestInit) => async () => {
      const response = await fetch(`${base}${path}`, { headers, ...init })
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`)
      await response.arrayBuffer()
    }
    const dates = `start_date=${windowStart.toISOString()}&end_date=${windowEnd.toISOString()}`
    const row = {
      stored: stats.stored,
      fillSeconds: Number(fillSeconds.toFixed(1)),
      listMs: yield* time(50, run(client.list(target))),
      deepDatePageMs: yield* time(
        50,
        run(client.list(target, { startDate: windowStart, endDate: windowEnd, offset: 900 }))
      ),
      rareStatusMs: yield* time(50, run(client.list(target, { status: "cancelled" }))),
      collect250Ms: yield* time(200, run(client.collect(target, spread))),
      httpListMs: yield* time(50, http("")),
      httpDeepDatePageMs: yield* time(50, http(`?${dates}&offset=900`)),
      httpRareStatusMs: yield* time(50, http("?status=cancelled")),
      httpCollect250Ms: yield* time(200, http("/collect", { method: "POST", body: JSON.stringify(spread) }))
    }
    const deep = yield* client.list(target, { startDate: windowStart, endDate: windowEnd, offset: 900 })
    if (deep.length !== 50) throw new Error(`the deep page has ${deep.length} items, not 50`)
    if ((yield* client.list(target, { status: "cancelled" })).length !== 10) throw new Error("rare status lost")
    return row
  })

const part1 = Effect.gen(function*() {
  const rows = []
  for (const size of [1_000, 100_000, 1_000_000]) {
    const row = yield* Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Layer.build(
        Emulator.layerPipelineRequests({ projects: [project], demo: false, maxFinishedRequests: 2_000_000 })
      )
      const server = yield* Layer.build(EmulatorServer.layer({ port: 0 })).pipe(Effect.provide(emulator))
      return yield* measure(size).pipe(Effect.provide(emulator), Effect.provide(server))
    }))
    rows.push(row)
    gc()
  }
  console.log("Part 1: list and collect against the number of stored requests (median ms)")
  console.table(rows)
})

const part2 = Effect.gen(function*() {
  const client = yield* PipelineRequests
  const echo = { project: "demo", pipeline: "echo" }
  const input = Array.from({ length: 250 }, (_, n) => ({ n, text: "retention" }))
  const samples: Array<{ passedThrough: number; stored: number; heapMB: number }> = []
  const total = 2_000_000
  for (let created = 0; created < total; created += 250) {
    yield* client.createBatch(echo, input)
    if ((created + 250) % 250_000 === 0) {
      yield* Effect.sleep(20)
      gc()
      const stats = yield* Emulator.stats
      samples.push({
        passedThrough: created + 250,
        stored: stats.stored,
        heapMB: Math.round(process.memoryUsage().heapUsed / 1e6)
      })
    } else if (created % 25_000 === 0) {
      yield* Effect.sleep(0)
    }
  }
  console.log("Part 2: heap while 2,000,000 echo requests pass through an emulator keeping 100,000 finished")
  console.table(samples)
}).pipe(Effect.provide(Emulator.layerPipelineRequests({ maxFinishedRequests: 100_000 })))

Effect.runPromise(Effect.zipRight(part1, part2)).catch((error) => {
  console.error(error)
  process.exit(1)
})
