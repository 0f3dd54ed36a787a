import * as Cause from "effect/Cause"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Tracer from "effect/Tracer"

/**
 * Captures everything a program logs (at every level) and every span it records (names, attributes,
 * events), as text, so that a test can search it.
 */
export const make = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    lines.push(
      `${logLevel.label} ${Inspectable.toStringUnknown(message)} ${Cause.pretty(cause)} ${
        Inspectable.toStringUnknown(annotations)
      }`
    )
  })
  const tracer = Tracer.make({
    span(name, parent, context, links, startTime, kind) {
      const attributes = new Map<string, unknown>()
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${lines.length}-${Math.random()}`,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          lines.push(`span ${name} ${JSON.stringify(Object.fromEntries(attributes))} ${String(exit)}`)
          void endTime
        },
        attribute: (key, value) => void attributes.set(key, value),
        event: (eventName, _, eventAttributes) => lines.push(`event ${eventName} ${JSON.stringify(eventAttributes)}`),
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  const layer = Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, logger),
    Logger.minimumLogLevel(LogLevel.All),
    Layer.setTracer(tracer)
  )
  return { lines, layer, text: () => lines.join("\n") }
}
