/**
 * The API host and token, read and normalised as the official UbiOps client does.
 *
 * @since 1.0.0
 */
import * as Redacted from "effect/Redacted"

/**
 * @since 1.0.0
 * @category constants
 */
export const defaultHost = "https://api.ubiops.com/v2.1"

/**
 * Normalises a host like the official client's `Configuration.host` setter: one trailing `/` is removed,
 * `https://` is prefixed when the value does not start with `http`, and `/v2.1` is appended unless the value
 * already names an API version (`.../v2.1`, `.../v2`).
 *
 * @since 1.0.0
 * @category utils
 */
export const normalizeHost = (host: string | undefined): string => {
  let value = host?.trim() ?? ""
  if (value === "") return defaultHost
  if (value.endsWith("/")) value = value.slice(0, -1)
  if (!value.startsWith("http")) value = `https://${value}`
  if (!/^.*\/v[0-9]+\.?[0-9]*/.test(value)) value = `${value}/v2.1`
  return value
}

/**
 * The `Authorization` header value for a token: `Token <token>`, unless the token already has a prefix
 * (`Token abc`, `Bearer abc`).
 *
 * @since 1.0.0
 * @category utils
 */
export const authorization = (token: Redacted.Redacted<string>): Redacted.Redacted<string> => {
  const value = Redacted.value(token).trim()
  return Redacted.make(value.includes(" ") ? value : `Token ${value}`)
}
