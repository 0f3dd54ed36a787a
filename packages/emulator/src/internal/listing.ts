/**
 * A page of a list: the query string's status, date and `search_id` filters turned into a query of the
 * version's request log.
 */
import * as Either from "effect/Either"
import type { ListQuery } from "../Engine.js"
import { type RequestRecord, statusIndex, statusNames, type VersionState } from "./records.js"
import { rejected, type RequestRejected } from "./rejected.js"
import type { PageQuery } from "./RequestLog.js"

/** Bit `1 << status` for every status named (one, or a comma-separated combination; default `completed`). */
const statusMask = (filter: string | undefined): Either.Either<number, RequestRejected> => {
  let mask = 0
  for (const name of (filter ?? "completed").split(",")) {
    const index = statusIndex(name.trim())
    if (index < 0) return rejected(400, `status must be one of ${statusNames.join(", ")}, got "${filter}"`)
    mask |= 1 << index
  }
  return Either.right(mask)
}

const dateParam = (name: string, value: string | undefined): Either.Either<number | undefined, RequestRejected> => {
  if (value === undefined) return Either.right(undefined)
  const time = Date.parse(value)
  return Number.isNaN(time)
    ? rejected(400, `${name} must be an ISO 8601 date-time, got "${value}"`)
    : Either.right(time)
}

/** The requests of one page, newest first. `idOf` gives a request's id, which `search_id` is a substring of. */
export const page = (
  version: VersionState,
  query: ListQuery | undefined,
  defaultLimit: number,
  idOf: (record: RequestRecord) => string
): Either.Either<Array<RequestRecord>, RequestRejected> =>
  Either.gen(function*() {
    const searchId = query?.searchId
    const pageQuery: PageQuery<RequestRecord> = {
      statusMask: yield* statusMask(query?.status),
      offset: query?.offset ?? 0,
      limit: query?.limit ?? defaultLimit,
      from: yield* dateParam("start_date", query?.startDate),
      to: yield* dateParam("end_date", query?.endDate),
      match: searchId === undefined || searchId === "" ? undefined : (record) => idOf(record).includes(searchId)
    }
    return version.log.page(pageQuery)
  })
