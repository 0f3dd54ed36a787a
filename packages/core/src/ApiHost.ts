/**
 * The API host and token, read and normalised as the official UbiOps client does.
 *
 * @since 1.0.0
 */
import * as Either from "effect/Either"
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

/**
 * The API root for a host as given (`normalizeHost`), or why no request can be sent to it: a scheme other than
 * `http`/`https` (`ftp://...`), a query string or a fragment, or no URL at all.
 *
 * @since 1.0.0
 * @category utils
 */
export const validateHost = (host: string | undefined): Either.Either<string, string> => {
  const given = host?.trim() ?? ""
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]
  if (scheme !== undefined && !/^https?$/i.test(scheme)) {
    return Either.left(`host must be an http or https URL, got ${given}`)
  }
  const baseUrl = normalizeHost(host)
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return Either.left(`host must be a URL, got ${given}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(`host must be an http or https URL, got ${given}`)
  }
  if (url.search !== "" || url.hash !== "") {
    return Either.left(`host must not have a query string or a fragment, got ${given}`)
  }
  return Either.right(baseUrl)
}

/**
 * The token if an `Authorization` header can carry it: not empty, printable ASCII, at most one space (after a
 * prefix such as `Token`). Why not, otherwise; the message never contains the token.
 *
 * @since 1.0.0
 * @category utils
 */
export const validateToken = (token: Redacted.Redacted<string>): Either.Either<Redacted.Redacted<string>, string> => {
  const value = Redacted.value(token).trim()
  const secret = value.replace(/^(Token|Bearer)( +|$)/, "")
  if (secret === "") return Either.left("the API token is empty")
  const unfit = [...value].filter((char) => char < "!" && char !== " " || char > "~").length
  if (unfit > 0) {
    return Either.left(
      `the API token has ${unfit} character${unfit === 1 ? "" : "s"} that an HTTP header cannot carry (a line ` +
        "break, a control or non-ASCII character); the token is not shown"
    )
  }
  return /^\S+( \S+)?$/.test(value) ? Either.right(token) : Either.left("the API token has spaces inside it")
}
