/**
 * Plain-JavaScript decoders for the response models, derived from the same field declarations as their
 * Schema classes, for the hot paths (collect returns 250 requests a call).
 *
 * Schema decodes a `PipelineRequestDetail` in about 8 µs; JSON.parse of it costs about 3 µs. A field-by-field
 * check here costs a fraction of a microsecond: the object JSON.parse made is checked, normalised in place
 * (absent nullable fields set to `null`, sizes truncated) and given the class's prototype, so no second copy
 * of the response is allocated. It only ever accepts what the Schema accepts, with the same field values;
 * fields the models do not declare are kept rather than dropped. Any value it is not sure of makes it give up,
 * and the caller falls back to the Schema decoder, which then produces the result or the precise error. A
 * property test holds the two equal on the declared fields.
 */
import type * as AST from "effect/SchemaAST"

/** Returned by a reader that does not accept its input. */
export const FAIL: unique symbol = Symbol.for("@ubiops-effect/core/fastDecode/FAIL")

/** Reads a value: the decoded value (possibly `input` itself, normalised in place), or `FAIL`. */
export type Reader = (input: unknown) => unknown

/**
 * How to read each declared field, as a recipe resolved when a codec is first compiled (not when a module is
 * imported): the readers of classes are derived then, by `registerClass`, so that a field of a class type can
 * declare its reader before the class has one. Keys are the library's own schemas and property signatures; the
 * keywords of Effect (`Schema.String`, `Schema.Boolean`) are read by their AST instead of being registered.
 */
const recipes = new WeakMap<object, () => Reader | undefined>()
const encoders = new WeakMap<object, Reader>()
const classReaders = new WeakMap<AST.AST, Reader>()

/** Declares how to read a value of `field` (a schema or a property signature) quickly. */
export const withReader = <T extends object>(field: T, read: Reader): T => {
  recipes.set(field, () => read)
  return field
}

/** Declares that `field` is read by `wrap` around the reader of `schema`, once that one is known. */
export const withReaderOf = <T extends object>(field: T, schema: object, wrap: (read: Reader) => Reader): T => {
  recipes.set(field, () => {
    const read = readerOf(schema)
    return read === undefined ? undefined : wrap(read)
  })
  return field
}

const keywordReader = (field: object): Reader | undefined => {
  const ast = (field as { readonly ast?: AST.AST }).ast
  if (ast === undefined || !("_tag" in ast)) return undefined
  return ast._tag === "StringKeyword" ? string : ast._tag === "BooleanKeyword" ? boolean : undefined
}

export const readerOf = (field: object): Reader | undefined => recipes.get(field)?.() ?? keywordReader(field)

/**
 * Declares a quick way to encode a value of `schema`: the encoded value when it certainly is what Schema's
 * `encode` would give (FAIL otherwise, and the caller uses Schema, which also explains what is wrong). Payloads
 * of 250 ids or inputs are encoded this way at the cost of a loop instead of a ParseResult per element.
 */
export const withEncoder = <T extends object>(schema: T, encode: Reader): T => {
  encoders.set(schema, encode)
  return schema
}

export const encoderOf = (schema: object): Reader | undefined => encoders.get(schema)

export const string: Reader = (input) => typeof input === "string" ? input : FAIL
export const boolean: Reader = (input) => typeof input === "boolean" ? input : FAIL
export const unknown: Reader = (input) => input
export const truncatedNumber: Reader = (input) => typeof input === "number" ? Math.trunc(input) : FAIL
export const stringOrNumber: Reader = (input) =>
  typeof input === "string" ? input : typeof input === "number" ? String(input) : FAIL

/** An absent or null value is `null`. */
export const nullable = (read: Reader): Reader => (input) => input === undefined || input === null ? null : read(input)

/** An absent or null list is empty. The array is reused when every element reads as itself. */
export const list = (read: Reader): Reader => (input) => {
  if (input === undefined || input === null) return []
  if (!Array.isArray(input)) return FAIL
  for (let i = 0; i < input.length; i++) {
    const value = read(input[i])
    if (value === FAIL) return FAIL
    if (value !== input[i]) input[i] = value
  }
  return input
}

/**
 * Derives the reader of a Schema class from the readers of its fields; a class with a field that has none
 * gets no reader (and is always decoded by Schema). Classes are registered when the codecs are first compiled
 * (`internal/modelReaders.ts`), nested classes first.
 */
export const registerClass = (
  Class: {
    readonly fields: Readonly<Record<string, object>>
    readonly ast: AST.AST
    readonly prototype: object
  }
): void => {
  const keys: Array<string> = []
  const fieldReaders: Array<Reader> = []
  for (const [key, field] of Object.entries(Class.fields)) {
    const read = readerOf(field)
    if (read === undefined) return
    keys.push(key)
    fieldReaders.push(read)
  }
  // Every field is checked first, then normalised: a value that fails leaves the object as JSON.parse made it
  // (nested objects may already carry their class's prototype, which does not change what Schema reads).
  const prototype = Class.prototype
  const count = keys.length
  // Reused between calls: reads are synchronous and no model contains itself.
  const values = new Array<unknown>(count)
  const read: Reader = (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return FAIL
    const record = input as Record<string, unknown>
    let changed = false
    for (let i = 0; i < count; i++) {
      const raw = record[keys[i]]
      const value = fieldReaders[i](raw)
      if (value === FAIL) return FAIL
      if (value !== raw) changed = true
      values[i] = value
    }
    if (changed) {
      for (let i = 0; i < count; i++) record[keys[i]] = values[i]
    }
    Object.setPrototypeOf(record, prototype)
    return record
  }
  recipes.set(Class, () => read)
  classReaders.set(Class.ast, read)
}

/** The fast reader of a response schema: a registered class, or an array of one. */
export const compile = (ast: AST.AST): Reader | undefined => {
  const direct = classReaders.get(ast)
  if (direct !== undefined) return direct
  if (ast._tag === "TupleType" && ast.elements.length === 0 && ast.rest.length === 1) {
    const element = classReaders.get(ast.rest[0].type)
    if (element !== undefined) return (input) => Array.isArray(input) ? list(element)(input) : FAIL
  }
  return undefined
}

/**
 * A validator for a struct of strings with filters (path parameters): the input itself when every filter accepts
 * its field (the Schema's encoding then is the same value), else `FAIL`. `undefined` for any other schema.
 */
export const compileStringStruct = (ast: AST.AST): Reader | undefined => {
  if (ast._tag !== "TypeLiteral" || ast.indexSignatures.length > 0) return undefined
  const fields: Array<{ readonly name: string; readonly refinements: ReadonlyArray<AST.Refinement> }> = []
  for (const signature of ast.propertySignatures) {
    if (signature.isOptional || typeof signature.name !== "string") return undefined
    const refinements: Array<AST.Refinement> = []
    let type = signature.type
    while (type._tag === "Refinement") {
      refinements.unshift(type)
      type = type.from
    }
    if (type._tag !== "StringKeyword") return undefined
    fields.push({ name: signature.name, refinements })
  }
  return (input) => {
    if (typeof input !== "object" || input === null) return FAIL
    for (const { name, refinements } of fields) {
      const value = (input as Record<string, unknown>)[name]
      if (typeof value !== "string") return FAIL
      for (const refinement of refinements) {
        if (refinement.filter(value, {}, refinement)._tag === "Some") return FAIL
      }
    }
    return input
  }
}
