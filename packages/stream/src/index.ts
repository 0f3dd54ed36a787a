/**
 * @since 1.0.0
 */

/**
 * @since 1.0.0
 */
export * as Batch from "./Batch.js"

/**
 * @since 1.0.0
 */
export * as Cancellation from "./Cancellation.js"

/**
 * @since 1.0.0
 */
export * as Checkpoint from "./Checkpoint.js"

/**
 * @since 1.0.0
 */
export * as PollSchedule from "./PollSchedule.js"

/**
 * @since 1.0.0
 */
export * as Progress from "./Progress.js"

/**
 * @since 1.0.0
 */
export * as Reconciliation from "./Reconciliation.js"

/**
 * @since 1.0.0
 */
export * as Listing from "./Listing.js"

/**
 * @since 1.0.0
 */
export * as PollingRule from "./PollingRule.js"

/**
 * @since 1.0.0
 */
export * as Streaming from "./Streaming.js"
