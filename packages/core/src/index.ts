/**
 * @since 1.0.0
 */

/**
 * @since 1.0.0
 */
export * as ApiHost from "./ApiHost.js"

/**
 * @since 1.0.0
 */
export * as ApiParams from "./ApiParams.js"

/**
 * @since 1.0.0
 */
export * as HttpInfo from "./HttpInfo.js"

/**
 * @since 1.0.0
 */
export * as Models from "./Models.js"

/**
 * @since 1.0.0
 */
export * as Pipeline from "./Pipeline.js"

/**
 * @since 1.0.0
 */
export * as PipelineRequests from "./PipelineRequests.js"

/**
 * @since 1.0.0
 */
export * as PipelineRequestsApi from "./PipelineRequestsApi.js"

/**
 * @since 1.0.0
 */
export * as RateGovernor from "./RateGovernor.js"

/**
 * @since 1.0.0
 */
export * as RetryBudget from "./RetryBudget.js"

/**
 * @since 1.0.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 1.0.0
 */
export * as UbiOpsError from "./UbiOpsError.js"
