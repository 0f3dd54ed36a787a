/**
 * @since 1.0.0
 */

/**
 * @since 1.0.0
 */
export * as ApiParams from "./ApiParams.js"

/**
 * @since 1.0.0
 */
export * as Models from "./Models.js"

/**
 * @since 1.0.0
 */
export * as PipelineRequestsApi from "./PipelineRequestsApi.js"
