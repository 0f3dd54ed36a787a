/**
 * @since 1.0.0
 */

/**
 * @since 1.0.0
 */
export * as Command from "./Command.js"

/**
 * @since 1.0.0
 */
export * as ConfigFile from "./ConfigFile.js"

/**
 * @since 1.0.0
 */
export * as Demo from "./Demo.js"

/**
 * @since 1.0.0
 */
export * as Emulator from "./Emulator.js"

/**
 * @since 1.0.0
 */
export * as EmulatorApi from "./EmulatorApi.js"

/**
 * @since 1.0.0
 */
export * as EmulatorApp from "./EmulatorApp.js"

/**
 * @since 1.0.0
 */
export * as EmulatorHttpClient from "./EmulatorHttpClient.js"

/**
 * @since 1.0.0
 */
export * as EmulatorServer from "./EmulatorServer.js"

/**
 * @since 1.0.0
 */
export * as Engine from "./Engine.js"

/**
 * @since 1.0.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 1.0.0
 */
export * as Leniency from "./Leniency.js"

/**
 * @since 1.0.0
 */
export * as PipelineDefinition from "./PipelineDefinition.js"

/**
 * @since 1.0.0
 */
export * as Stats from "./Stats.js"
