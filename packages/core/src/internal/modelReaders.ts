/**
 * The fast readers of the response models (`fastDecode.ts`), derived once, when the contract is first compiled
 * into codecs: nothing is registered when a module is imported.
 */
import {
  OperatorRequestDetail,
  PipelineRequestBatchCreateResponse,
  PipelineRequestCreateResponse,
  PipelineRequestDeploymentRequest,
  PipelineRequestDetail,
  PipelineRequestList,
  PipelineRequestOperatorRequest,
  PipelineRequestPipelineRequest,
  PipelineRequestSingleDetail
} from "../Models.js"
import * as Fast from "./fastDecode.js"

let registered = false

/** Derives the readers of the models, nested ones first (a class's reader is built from its fields'). */
export const registerModelReaders = (): void => {
  if (registered) return
  registered = true
  for (
    const Class of [
      PipelineRequestDeploymentRequest,
      PipelineRequestOperatorRequest,
      PipelineRequestPipelineRequest,
      PipelineRequestCreateResponse,
      PipelineRequestBatchCreateResponse,
      PipelineRequestList,
      PipelineRequestDetail,
      PipelineRequestSingleDetail,
      OperatorRequestDetail
    ]
  ) {
    Fast.registerClass(Class)
  }
}
