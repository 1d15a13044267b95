import type { FastifyInstance } from "fastify";
import type { Clock } from "../domain/clock.js";
import type { StageRegistry } from "../stages/registry.js";
import { RegistryReportBody } from "./route-schemas.js";

export interface StageRoutesDeps {
  readonly stages: StageRegistry;
  readonly clock: Clock;
}

/**
 * `POST /v1/sdk/registry` (the SDK's token): an SDK reports the stages it has registered, their
 * versions and schemas, the targets it syncs, and its stage_missing counts (docs/stages.md).
 * 204; a body that breaks the schema is refused whole (400) and the last report stands.
 */
export function registerStageReports(app: FastifyInstance, deps: StageRoutesDeps): void {
  app.post<{ Body: RegistryReportBody }>("/v1/sdk/registry", { schema: { body: RegistryReportBody } }, async (request, reply) => {
    deps.stages.report(request.body, deps.clock.now());
    return reply.code(204).send();
  });
}

/** `GET /v1/stages` (admin API): every stage live SDKs report, with its versions and how many SDKs have each. */
export function registerStageViews(app: FastifyInstance, deps: StageRoutesDeps): void {
  app.get("/v1/stages", async () => ({ stages: deps.stages.stages(deps.clock.now()) }));
}
