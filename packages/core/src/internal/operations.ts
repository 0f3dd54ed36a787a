/**
 * The table of operations: each method of the `PipelineRequests` service mapped, once, to the operation of
 * `PipelineRequestsApi` it runs (by target version), its path, query and body, and what its response becomes.
 * The HTTP client and the emulator's in-process service both are this table on a backend.
 */
import * as Headers from "@effect/platform/Headers"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Limits } from "../ApiParams.js"
import type { HttpInfo, WithHttpInfo } from "../HttpInfo.js"
import type { PipelineTarget, RequestFile, Service, VersionTarget } from "../PipelineRequests.js"
import type { OperationId } from "../PipelineRequestsApi.js"
import type { Backend, Reply } from "../PipelineRequestsBackend.js"
import { DecodeError } from "../UbiOpsError.js"

const byVersion = <A extends OperationId, B extends OperationId>(
  target: PipelineTarget,
  defaultVersion: A,
  named: B
): A | B => target.version === undefined ? defaultVersion : named

const pipelinePath = (target: PipelineTarget) =>
  target.version === undefined
    ? { project_name: target.project, pipeline_name: target.pipeline }
    : { project_name: target.project, pipeline_name: target.pipeline, version: target.version }

const requestPath = (target: PipelineTarget, requestId: string) => ({ ...pipelinePath(target), request_id: requestId })

const versionRequestPath = (target: VersionTarget, requestId: string) => ({
  project_name: target.project,
  pipeline_name: target.pipeline,
  version: target.version,
  request_id: requestId
})

const toIsoDate = (date: Date | string | undefined): string | undefined =>
  date === undefined ? undefined : typeof date === "string" ? date : date.toISOString()

const filenameOf = (disposition: string | undefined): string | undefined => {
  if (disposition === undefined) return undefined
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)
  return match === null ? undefined : decodeURIComponent(match[1])
}

const toRequestFile = (reply: Reply<Uint8Array>): RequestFile => {
  const contentType = reply.headers["content-type"]
  const bytes = reply.value
  const text = new TextDecoder().decode(bytes)
  let data: unknown = text
  if (contentType !== undefined && contentType.includes("json")) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  return { filename: filenameOf(reply.headers["content-disposition"]), contentType, bytes, text, data }
}

/**
 * What a method answers with, given its response (none when an empty list sent nothing) and the value it made of it:
 * the value alone, or, for `withHttpInfo`, an `HttpInfo` of it. The methods are written once, typed for the value
 * alone; `withHttpInfo`'s type says what they answer with `withInfo`.
 */
type Respond = <A>(reply: Reply<unknown> | undefined, value: A) => A

/**
 * What makes a batch create's reply unusable: not one request per input, or an id given to two inputs (one input's
 * result would be lost). A create that came back so is a `DecodeError`, which may have made requests: a batch run
 * reconciles it like any other ambiguous create.
 */
const batchReplyIssue = (sent: number, replies: ReadonlyArray<{ readonly id: string }>): string | undefined => {
  if (replies.length !== sent) return `${sent} requests were sent but ${replies.length} came back`
  const firstIndex = new Map<string, number>()
  for (let i = 0; i < replies.length; i++) {
    const earlier = firstIndex.get(replies[i].id)
    if (earlier !== undefined) {
      return `the reply gives the same request id ${replies[i].id} to inputs ${earlier} and ${i} of the batch`
    }
    firstIndex.set(replies[i].id, i)
  }
  return undefined
}

const valueOnly: Respond = (_, value) => value

const withInfo: Respond = <A>(reply: Reply<unknown> | undefined, value: A): A => {
  const info: HttpInfo<A> = reply === undefined
    ? { value, status: 0, headers: Headers.empty }
    : { value, status: reply.status, headers: reply.headers }
  return info as unknown as A
}

export const makeService = (backend: Backend): Service => {
  const service = methods(backend, valueOnly)
  let info: WithHttpInfo | undefined
  return {
    ...service,
    // made on first use: a client that never asks pays nothing for it
    get withHttpInfo() {
      return info ??= methods(backend, withInfo) as unknown as WithHttpInfo
    }
  }
}

const methods = (backend: Backend, respond: Respond): Omit<Service, "withHttpInfo"> => ({
  create: (target, data, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsCreate", "pipelineVersionRequestsCreate"),
        request: {
          path: pipelinePath(target),
          urlParams: {
            timeout: options?.timeout,
            priority: options?.priority,
            pipeline_timeout: options?.pipelineTimeout
          },
          payload: data
        },
        target,
        options,
        pipelineTimeoutSeconds: options?.timeout ?? options?.pipelineTimeout ?? Limits.directTimeout.default
      }),
      (reply) => respond(reply, reply.value)
    ),
  createBatch: (target, data, options) => {
    if (data.length === 0) return Effect.succeed(respond(undefined, []))
    const operation = byVersion(target, "batchPipelineRequestsCreate", "batchPipelineVersionRequestsCreate")
    return backend.call({
      operation,
      request: {
        path: pipelinePath(target),
        urlParams: { timeout: options?.timeout, priority: options?.priority },
        payload: data
      },
      target,
      options
    }).pipe(Effect.flatMap((reply) => {
      const issue = batchReplyIssue(data.length, reply.value)
      return issue === undefined
        ? Effect.succeed(respond(reply, reply.value))
        : Effect.fail(
          new DecodeError({
            operation,
            method: reply.method,
            path: reply.path,
            status: reply.status,
            issue,
            bodyExcerpt: ""
          })
        )
    }))
  },
  get: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsGet", "pipelineVersionRequestsGet"),
        request: { path: requestPath(target, requestId), urlParams: { metadata_only: options?.metadataOnly } },
        target,
        options
      }),
      (reply) => respond(reply, reply.value)
    ),
  list: (target, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsList", "pipelineVersionRequestsList"),
        request: {
          path: pipelinePath(target),
          urlParams: {
            status: options?.status === undefined
              ? undefined
              : typeof options.status === "string"
              ? options.status
              : options.status.join(","),
            limit: options?.limit,
            offset: options?.offset,
            start_date: toIsoDate(options?.startDate),
            end_date: toIsoDate(options?.endDate),
            search_id: options?.searchId
          }
        },
        target,
        options
      }),
      (reply) => respond(reply, reply.value)
    ),
  collect: (target, requestIds, options) =>
    requestIds.length === 0 ? Effect.succeed(respond(undefined, [])) : Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsBatchGet", "pipelineVersionRequestsBatchGet"),
        request: { path: pipelinePath(target), payload: requestIds },
        target,
        options
      }),
      (reply) => respond(reply, reply.value)
    ),
  cancel: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsUpdate", "pipelineVersionRequestsUpdate"),
        request: { path: requestPath(target, requestId), payload: { status: "cancelled" } },
        target,
        options
      }),
      (reply) => respond(reply, undefined)
    ),
  cancelBatch: (target, selection, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsBatchCancel", "pipelineVersionRequestsBatchCancel"),
        request: "status" in selection
          ? { path: pipelinePath(target), urlParams: { status: selection.status }, payload: [] }
          : { path: pipelinePath(target), urlParams: {}, payload: selection },
        target,
        options
      }),
      (reply) => respond(reply, undefined)
    ),
  delete: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsDelete", "pipelineVersionRequestsDelete"),
        request: { path: requestPath(target, requestId) },
        target,
        options
      }),
      (reply) => respond(reply, undefined)
    ),
  deleteBatch: (target, requestIds, options) =>
    requestIds.length === 0 ? Effect.succeed(respond(undefined, undefined)) : Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsBatchDelete", "pipelineVersionRequestsBatchDelete"),
        request: { path: pipelinePath(target), payload: requestIds },
        target,
        options
      }),
      (reply) => respond(reply, undefined)
    ),
  getOperatorRequest: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: "pipelineVersionObjectRequestsGet",
        request: {
          path: versionRequestPath(target, requestId),
          urlParams: {
            metadata_only: options?.metadataOnly,
            pipeline_request_id: options?.pipelineRequestId,
            pipeline_object_id: options?.pipelineObjectId
          }
        },
        target,
        options
      }),
      (reply) => respond(reply, reply.value)
    ),
  getInput: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsInputGet", "pipelineVersionRequestsInputGet"),
        request: { path: requestPath(target, requestId) },
        target,
        options
      }),
      (reply) => respond(reply, toRequestFile(reply))
    ),
  getOutput: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: byVersion(target, "pipelineRequestsOutputGet", "pipelineVersionRequestsOutputGet"),
        request: { path: requestPath(target, requestId) },
        target,
        options
      }),
      (reply) => respond(reply, toRequestFile(reply))
    ),
  getOperatorRequestInput: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: "pipelineVersionObjectRequestsInputGet",
        request: { path: versionRequestPath(target, requestId) },
        target,
        options
      }),
      (reply) => respond(reply, toRequestFile(reply))
    ),
  getOperatorRequestOutput: (target, requestId, options) =>
    Effect.map(
      backend.call({
        operation: "pipelineVersionObjectRequestsOutputGet",
        request: { path: versionRequestPath(target, requestId) },
        target,
        options
      }),
      (reply) => respond(reply, toRequestFile(reply))
    ),
  createStreaming: (target, data, options) =>
    Stream.suspend(() =>
      backend.stream({
        operation: byVersion(target, "pipelineRequestsStream", "pipelineVersionRequestsStream"),
        request: { path: pipelinePath(target), urlParams: { timeout: options?.timeout }, payload: data },
        target,
        options,
        pipelineTimeoutSeconds: options?.timeout ?? Limits.streamTimeout.default
      })
    ),
  retryBudget: backend.retryBudget
})
