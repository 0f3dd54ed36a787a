/**
 * The limits of the API that the stream package cuts its work by. Core knows them too (`ApiParams.Limits`); the
 * stream package reads them from this one place, until core exports them for this use (see the issue 13 report).
 */

/** Inputs of one batch create, ids of one collect, batch cancel or batch delete. */
export const maxItemsPerCall = 250

/** Items of one page of the list endpoint (its `limit`, also the server's default). */
export const maxPageSize = 50
