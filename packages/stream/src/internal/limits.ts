/**
 * The limits of the API that the stream package cuts its work by: core's (`ApiParams.Limits`), named for this use.
 */
import { Limits } from "@ubiops-effect/core/ApiParams"

/** Inputs of one batch create, ids of one collect, batch cancel or batch delete. */
export const maxItemsPerCall = Limits.maxItems

/** Items of one page of the list endpoint (its `limit`, also the server's default). */
export const maxPageSize = Limits.listLimit.max
