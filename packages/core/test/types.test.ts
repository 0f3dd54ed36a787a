import { describe, expectTypeOf, it } from "@effect/vitest"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type * as Models from "../src/Models.js"
import type * as Pipeline from "../src/Pipeline.js"
import type { PipelineRequests, RequestFile, Service, StreamEvent } from "../src/PipelineRequests.js"
import type {
  BadRequest,
  DecodeError,
  Forbidden,
  InvalidRequest,
  NotFound,
  OutputDecodeError,
  PipelineRequestFailed,
  RateLimited,
  ServerError,
  Timeout,
  TransportError,
  Unauthorized
} from "../src/UbiOpsError.js"

type CallErrors =
  | InvalidRequest
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | RateLimited
  | ServerError
  | TransportError
  | Timeout

type Success<F> = F extends (...args: Array<any>) => Effect.Effect<infer A, any, any> ? A : never
type Failure<F> = F extends (...args: Array<any>) => Effect.Effect<any, infer E, any> ? E : never

describe("the type of each method", () => {
  it("pins success and error types", () => {
    expectTypeOf<Success<Service["create"]>>().toEqualTypeOf<Models.PipelineRequestCreateResponse>()
    expectTypeOf<Failure<Service["create"]>>().toEqualTypeOf<CallErrors | DecodeError>()
    expectTypeOf<Success<Service["createBatch"]>>().toEqualTypeOf<
      ReadonlyArray<Models.PipelineRequestBatchCreateResponse>
    >()
    expectTypeOf<Failure<Service["createBatch"]>>().toEqualTypeOf<CallErrors | DecodeError>()
    expectTypeOf<Success<Service["get"]>>().toEqualTypeOf<Models.PipelineRequestSingleDetail>()
    expectTypeOf<Failure<Service["get"]>>().toEqualTypeOf<CallErrors | DecodeError>()
    expectTypeOf<Success<Service["list"]>>().toEqualTypeOf<ReadonlyArray<Models.PipelineRequestList>>()
    expectTypeOf<Failure<Service["list"]>>().toEqualTypeOf<CallErrors | DecodeError>()
    expectTypeOf<Success<Service["collect"]>>().toEqualTypeOf<ReadonlyArray<Models.PipelineRequestDetail>>()
    expectTypeOf<Failure<Service["collect"]>>().toEqualTypeOf<CallErrors | DecodeError>()
    expectTypeOf<Success<Service["getOperatorRequest"]>>().toEqualTypeOf<Models.OperatorRequestDetail>()
    expectTypeOf<Failure<Service["getOperatorRequest"]>>().toEqualTypeOf<CallErrors | DecodeError>()
    // The API returns untyped bodies for these: nothing to decode, so no DecodeError.
    expectTypeOf<Success<Service["cancel"]>>().toEqualTypeOf<void>()
    expectTypeOf<Failure<Service["cancel"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<Success<Service["cancelBatch"]>>().toEqualTypeOf<void>()
    expectTypeOf<Failure<Service["cancelBatch"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<Success<Service["delete"]>>().toEqualTypeOf<void>()
    expectTypeOf<Failure<Service["delete"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<Success<Service["deleteBatch"]>>().toEqualTypeOf<void>()
    expectTypeOf<Failure<Service["deleteBatch"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<Success<Service["getInput"]>>().toEqualTypeOf<RequestFile>()
    expectTypeOf<Failure<Service["getInput"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<Success<Service["getOutput"]>>().toEqualTypeOf<RequestFile>()
    expectTypeOf<Failure<Service["getOperatorRequestInput"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<Failure<Service["getOperatorRequestOutput"]>>().toEqualTypeOf<CallErrors>()
    expectTypeOf<ReturnType<Service["createStreaming"]>>().toEqualTypeOf<
      Stream.Stream<StreamEvent, CallErrors | DecodeError>
    >()
  })

  it("a typed pipeline adds a failed run and an output that does not match", () => {
    type Request = Pipeline.Pipeline<{ readonly text: string }, { readonly score: number }>["request"]
    expectTypeOf<Success<Request>>().toEqualTypeOf<{ readonly score: number }>()
    expectTypeOf<Failure<Request>>().toEqualTypeOf<
      CallErrors | DecodeError | PipelineRequestFailed | OutputDecodeError
    >()
    expectTypeOf<ReturnType<Request>>().toEqualTypeOf<
      Effect.Effect<
        { readonly score: number },
        CallErrors | DecodeError | PipelineRequestFailed | OutputDecodeError,
        PipelineRequests
      >
    >()
  })
})
