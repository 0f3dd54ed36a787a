/**
 * @since 1.0.0
 */

/**
 * @since 1.0.0
 */
export * as BatchJob from "./BatchJob.js"

/**
 * @since 1.0.0
 */
export * as CheckpointStore from "./CheckpointStore.js"

/**
 * @since 1.0.0
 */
export * as Cli from "./Cli.js"

/**
 * @since 1.0.0
 */
export * as InputFile from "./InputFile.js"

/**
 * @since 1.0.0
 */
export * as OutputFile from "./OutputFile.js"

/**
 * @since 1.0.0
 */
export * as OutputLock from "./OutputLock.js"

/**
 * @since 1.0.0
 */
export * as ProgressLine from "./ProgressLine.js"

/**
 * @since 1.0.0
 */
export * as Signals from "./Signals.js"

/**
 * @since 1.0.0
 */
export * as Waiting from "./Waiting.js"

/**
 * @since 1.0.0
 */
export * as WrittenRecord from "./WrittenRecord.js"
