#!/usr/bin/env node
// The package's sources are TypeScript (workspace exports point at ./src/*.ts): run them through tsx.
import { register } from "tsx/esm/api"

register()
await import("../src/bin.ts")
