/**
 * The HTTP contract the emulator serves: the core `PipelineRequestsApi` (the same `HttpApi` the client is
 * built from) plus what the official CLI calls before it (`GET /status`, `GET /projects/{p}/pipelines/{pl}`,
 * `GET /user` and `GET /projects` for `ubiops signin`, `GET /projects/{p}` for `ubiops current_project set`), all
 * under `/v2.1`; and the emulator's own
 * `/_emulator` routes (no token), which exist on no real UbiOps.
 *
 * @since 1.0.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import { ResourceName } from "@ubiops-effect/core/ApiParams"
import { BadRequestBody, NotFoundBody, PipelineRequestsApi } from "@ubiops-effect/core/PipelineRequestsApi"
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import { FaultSettings, type Verdict } from "./Faults.js"

/**
 * The API root under which the UbiOps endpoints are served.
 *
 * @since 1.0.0
 * @category constants
 */
export const apiRoot = "/v2.1"

const PipelineDetail = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  project: Schema.String,
  description: Schema.String,
  input_type: Schema.Literal("structured", "plain"),
  input_fields: Schema.Array(Schema.Unknown),
  output_type: Schema.Literal("structured", "plain"),
  output_fields: Schema.Array(Schema.Unknown),
  labels: Schema.Record({ key: Schema.String, value: Schema.String }),
  creation_date: Schema.String,
  last_updated: Schema.String,
  default_version: Schema.String
})

const ProjectList = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  creation_date: Schema.String,
  advanced_permissions: Schema.Boolean,
  credits: Schema.Null,
  organization_name: Schema.String,
  labels: Schema.Record({ key: Schema.String, value: Schema.String })
})

/**
 * What the official CLI calls besides pipeline requests. The names follow the official operation ids
 * (`GET /user` has none in the client; it is `userGet` here).
 *
 * @since 1.0.0
 * @category api
 */
export class ServiceGroup extends HttpApiGroup.make("service")
  .add(HttpApiEndpoint.get("serviceStatus", "/status").addSuccess(Schema.Struct({ status: Schema.String })))
  .add(
    HttpApiEndpoint.get("pipelinesGet", "/projects/:project_name/pipelines/:pipeline_name")
      .setPath(Schema.Struct({ project_name: ResourceName, pipeline_name: ResourceName }))
      .addSuccess(PipelineDetail)
  )
  .add(
    HttpApiEndpoint.get("userGet", "/user")
      .addSuccess(Schema.Struct({ email: Schema.String, name: Schema.String, surname: Schema.String }))
  )
  .add(HttpApiEndpoint.get("projectsList", "/projects").addSuccess(Schema.Array(ProjectList)))
  .add(
    HttpApiEndpoint.get("projectsGet", "/projects/:project_name")
      .setPath(Schema.Struct({ project_name: ResourceName }))
      .addSuccess(ProjectList)
  )
  .addError(BadRequestBody)
  .addError(NotFoundBody)
{}

/**
 * What the faults decided for the current call (creates read it to drop their connection).
 *
 * @since 1.0.0
 * @category middleware
 */
export class CallVerdict extends Context.Tag("@ubiops-effect/emulator/CallVerdict")<CallVerdict, Verdict>() {}

/**
 * Runs before every `/v2.1` endpoint, after routing and before its parameters are read: counts the call and
 * applies the faults in force (answering 429 or an error status itself, or sleeping the latency).
 *
 * @since 1.0.0
 * @category middleware
 */
export class EndpointGate extends HttpApiMiddleware.Tag<EndpointGate>()("@ubiops-effect/emulator/EndpointGate", {
  provides: CallVerdict
}) {}

/**
 * The emulator's own routes: statistics and faults.
 *
 * @since 1.0.0
 * @category api
 */
export class ControlGroup extends HttpApiGroup.make("control")
  .add(HttpApiEndpoint.get("stats", "/_emulator/stats").addSuccess(Schema.Unknown))
  .add(HttpApiEndpoint.get("getFaults", "/_emulator/faults").addSuccess(FaultSettings))
  .add(
    HttpApiEndpoint.post("setFaults", "/_emulator/faults")
      .setPayload(FaultSettings)
      .addSuccess(FaultSettings)
  )
{}

/**
 * Everything the emulator serves.
 *
 * @since 1.0.0
 * @category api
 */
export class EmulatorApi extends HttpApi.make("ubiops-emulator")
  .addHttpApi(PipelineRequestsApi.add(ServiceGroup).middleware(EndpointGate).prefix(apiRoot))
  .add(ControlGroup)
{}
