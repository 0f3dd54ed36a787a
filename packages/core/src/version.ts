/**
 * @since 1.0.0
 */

/**
 * The version of `@ubiops-effect/core`, sent in the `User-Agent` header.
 *
 * @since 1.0.0
 * @category constants
 */
export const version = "0.1.0"
