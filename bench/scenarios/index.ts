/**
 * The scenarios, in the order they run (9, the batch command against the Python client, starts emulators of its own). Scenario 4 runs last: it pushes 2,000,000 requests through the emulator.
 */
import { scenario as s1 } from "./s1-throughput.js"
import { scenario as s2 } from "./s2-calls.js"
import { scenario as s3 } from "./s3-slow.js"
import { scenario as s4 } from "./s4-memory.js"
import { scenario as s5 } from "./s5-get.js"
import { scenario as s6 } from "./s6-fetch.js"
import { scenario as s7 } from "./s7-emulator.js"
import { scenario as s8 } from "./s8-rate-limit.js"
import { scenario as s9 } from "./s9-command.js"
import type { Scenario } from "./scenario.js"

export const scenarios: ReadonlyArray<Scenario> = [s1, s2, s6, s7, s5, s8, s9, s3, s4]
