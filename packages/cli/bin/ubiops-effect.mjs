#!/usr/bin/env node
// The package ships TypeScript sources: tsx (a dependency of this package) compiles them on the fly.
import { register } from "tsx/esm/api"

register()
await import("../src/bin.ts")
