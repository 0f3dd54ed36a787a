import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { authorization, normalizeHost } from "../src/ApiHost.js"
import { PipelineRequests } from "../src/PipelineRequests.js"
import * as Client from "../src/PipelineRequests.js"
import * as Scripted from "./utils/ScriptedHttpClient.js"

describe("ApiHost", () => {
  it("normalises hosts as the official client does", () => {
    const cases: ReadonlyArray<readonly [string | undefined, string]> = [
      [undefined, "https://api.ubiops.com/v2.1"],
      ["", "https://api.ubiops.com/v2.1"],
      ["https://api.ubiops.com/v2.1/", "https://api.ubiops.com/v2.1"],
      ["https://api.ubiops.com", "https://api.ubiops.com/v2.1"],
      ["127.0.0.1:8080", "https://127.0.0.1:8080/v2.1"],
      ["http://127.0.0.1:8080", "http://127.0.0.1:8080/v2.1"],
      ["http://127.0.0.1:8080/v2.1", "http://127.0.0.1:8080/v2.1"],
      ["http://localhost/api/v3", "http://localhost/api/v3"],
      ["http://vhost.example", "http://vhost.example/v2.1"]
    ]
    for (const [input, expected] of cases) assert.strictEqual(normalizeHost(input), expected, String(input))
  })

  it("prefixes the token with `Token ` unless it already has a prefix", () => {
    assert.strictEqual(Redacted.value(authorization(Redacted.make("abc"))), "Token abc")
    assert.strictEqual(Redacted.value(authorization(Redacted.make("Token abc"))), "Token abc")
    assert.strictEqual(Redacted.value(authorization(Redacted.make("Bearer jwt"))), "Bearer jwt")
    assert.strictEqual(Redacted.value(authorization(Redacted.make("  abc\n"))), "Token abc")
  })
})

describe("layerConfig", () => {
  const detail = { id: "a", status: "completed", time_created: "2024-01-01T00:00:00Z" }
  const call = (env: ReadonlyArray<readonly [string, string]>) => {
    const server = Scripted.make(() => ({ status: 200, json: detail }))
    return Effect.gen(function*() {
      const service = yield* PipelineRequests
      yield* service.get({ project: "p", pipeline: "q" }, "a")
      return server.seen[0]
    }).pipe(
      Effect.provide(
        Client.layerConfig().pipe(
          Layer.provide(server.layer),
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(env))))
        )
      )
    )
  }

  it.effect("reads UBIOPS_API_TOKEN and UBIOPS_API_HOST", () =>
    Effect.gen(function*() {
      const seen = yield* call([["UBIOPS_API_TOKEN", "Token abc"], ["UBIOPS_API_HOST", "http://127.0.0.1:1234/"]])
      assert.strictEqual(
        seen.url.origin + seen.url.pathname,
        "http://127.0.0.1:1234/v2.1/projects/p/pipelines/q/requests/a"
      )
      assert.strictEqual(seen.headers.authorization, "Token abc")
    }))

  it.effect("defaults to the HTTPS UbiOps API", () =>
    Effect.gen(function*() {
      const seen = yield* call([["UBIOPS_API_TOKEN", "abc"]])
      assert.strictEqual(seen.url.origin, "https://api.ubiops.com")
      assert.strictEqual(seen.headers.authorization, "Token abc")
    }))

  it.effect("fails with a ConfigError naming UBIOPS_API_TOKEN when it is missing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(call([]))
      assert.match(String(error), /UBIOPS_API_TOKEN/)
    }))
})
