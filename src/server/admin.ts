import type { FastifyInstance, FastifyReply } from "fastify";
import { currentBaseline, findVersion, findVersionRef, versionsOf } from "../domain/history.js";
import { diffValues, type ConfigValues } from "../domain/values.js";
import type { Version } from "../domain/version.js";
import type { HistoryStore } from "../domain/ports.js";
import type { TargetControl, TargetDirectory } from "../runtime/ports.js";
import { protocolError } from "./errors.js";
import { targetView } from "./target-view.js";
import { CandidateBody, DiffQuery, KillBody, RollbackBody, RouteValidationError, TargetParams } from "./route-schemas.js";

export interface AdminDeps {
  readonly targets: TargetDirectory;
  readonly store: HistoryStore;
}

/** The code of a control call that could not be made durable: the embedded store's or Redis's. */
const unavailable = (error: unknown): string => ((error as { code?: unknown }).code === "store_unavailable" ? "store_unavailable" : "shared_state_unavailable");

const problem = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: code, message });

/** What a pause or resume left: the kill switch, and the live experiment's status and pause causes. */
const controlAnswer = (target: string, runtime: TargetControl) => ({
  target,
  killed: runtime.killed,
  experiment: runtime.experiment ? { id: runtime.experiment.id, status: runtime.experiment.status, paused: runtime.experiment.paused } : null,
});

/**
 * The admin API: targets and their experiments, versions, diffs, the kill switch, pause and
 * resume, operators' candidates, and rollback.
 * Registered inside the admin plugin of app.ts, whose hook asks for the admin token on every
 * route declared here.
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  // A request that breaks its route's schema is a client error with a code: a target name that
  // can never exist (`..%2Fx`, `CHECKOUT`, `%00`) is never a path handed to the store.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (!(error instanceof RouteValidationError)) return protocolError(error, request, reply);
    if (error.part === "params") {
      const target = String((request.params as { target?: unknown }).target ?? "");
      return void problem(reply, 400, "invalid_target", `${JSON.stringify(target.slice(0, 80))} is not a target name (lower-case letters, digits, '-', '_', at most 63)`);
    }
    return void problem(reply, 400, "bad_request", error.message);
  });
  const byTarget = { schema: { params: TargetParams } };

  app.get("/v1/targets", async () => ({
    targets: deps.targets.targets.map(({ target, file, runtime }) => ({
      target: target.name,
      file,
      baseline: runtime.baseline.id,
      experiment: runtime.experiment ? { id: runtime.experiment.id, status: runtime.experiment.status, paused: runtime.experiment.paused } : null,
      killed: runtime.killed,
    })),
    rejectedDrops: deps.targets.rejectedDrops,
  }));

  app.get<{ Params: TargetParams }>("/v1/targets/:target", byTarget, async (request, reply) => {
    const loaded = deps.targets.targets.find((l) => l.target.name === request.params.target);
    if (!loaded) return problem(reply, 404, "unknown_target", `no target named ${JSON.stringify(request.params.target)}`);
    return targetView(loaded);
  });

  app.get<{ Params: TargetParams }>("/v1/targets/:target/versions", byTarget, async (request, reply) => {
    const history = await deps.store.read(request.params.target);
    if (history.length === 0) return problem(reply, 404, "unknown_target", `no history for target ${JSON.stringify(request.params.target)}`);
    const baseline = currentBaseline(history);
    return { baseline, versions: [...versionsOf(history).values()].map((v) => ({ ...v, baseline: v.id === baseline })) };
  });

  // Every entry, oldest first: what `evolvd history --data-dir` reads from the folder.
  app.get<{ Params: TargetParams }>("/v1/targets/:target/history", byTarget, async (request, reply) => {
    const history = await deps.store.read(request.params.target);
    if (history.length === 0) return problem(reply, 404, "unknown_target", `no history for target ${JSON.stringify(request.params.target)}`);
    return { target: request.params.target, history };
  });

  // Ids or unique prefixes (≥ 6 hex digits), resolved as the CLI does locally (domain/history.ts).
  app.get<{ Querystring: DiffQuery }>("/v1/diff", { schema: { querystring: DiffQuery } }, async (request, reply) => {
    const { from, to, target } = request.query;
    const versions: Version[] = [];
    for (const name of target ? [target] : await deps.store.targets()) versions.push(...versionsOf(await deps.store.read(name)).values());
    const history = target ? await deps.store.read(target) : null;
    const a = findVersionRef(versions, from, history);
    const b = findVersionRef(versions, to, history);
    for (const found of [a, b]) if (!found.ok) return problem(reply, found.error.code === "unknown_version" ? 404 : 400, found.error.code, found.error.message);
    if (!a.ok || !b.ok) return;
    return { from: a.value.id, to: b.value.id, changes: diffValues(a.value.values, b.value.values) };
  });

  app.post<{ Params: TargetParams; Body: KillBody }>("/v1/targets/:target/kill", { schema: { params: TargetParams, body: KillBody } }, async (request, reply) => {
    const runtime = deps.targets.runtime(request.params.target);
    if (!runtime) return problem(reply, 404, "unknown_target", `no target named ${JSON.stringify(request.params.target)}`);
    try {
      await runtime.kill(request.body.reason ?? "admin API");
      await runtime.flush();
    } catch (error) {
      // Scale-out with Redis unreachable: this instance has stopped the experiment, the others have not.
      if (unavailable(error) === "store_unavailable") return problem(reply, 503, "store_unavailable", `kill switch on (the baseline is served); not yet in the history, retried: ${(error as Error).message}`);
      return problem(reply, 503, "shared_state_unavailable", `kill switch on for this instance only: ${(error as Error).message}`);
    }
    return { target: request.params.target, killed: true };
  });

  app.post<{ Params: TargetParams; Body: KillBody }>("/v1/targets/:target/pause", { schema: { params: TargetParams, body: KillBody } }, async (request, reply) => {
    const runtime = deps.targets.runtime(request.params.target);
    if (!runtime) return problem(reply, 404, "unknown_target", `no target named ${JSON.stringify(request.params.target)}`);
    try {
      await runtime.pause(request.body.reason ?? "admin API");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "not_live") return problem(reply, 409, "not_live", (error as Error).message);
      return problem(reply, 503, unavailable(error), `not paused: ${(error as Error).message}`);
    }
    return controlAnswer(request.params.target, runtime);
  });

  // Clears an operator's pause (the same experiment goes on) or the kill switch (a new generation).
  app.post<{ Params: TargetParams; Body: KillBody }>("/v1/targets/:target/resume", { schema: { params: TargetParams, body: KillBody } }, async (request, reply) => {
    const runtime = deps.targets.runtime(request.params.target);
    if (!runtime) return problem(reply, 404, "unknown_target", `no target named ${JSON.stringify(request.params.target)}`);
    try {
      await runtime.resume();
    } catch (error) {
      return problem(reply, 503, unavailable(error), `not resumed: ${(error as Error).message}`);
    }
    return controlAnswer(request.params.target, runtime);
  });

  app.post<{ Params: TargetParams; Body: CandidateBody }>("/v1/targets/:target/candidates", { schema: { params: TargetParams, body: CandidateBody } }, async (request, reply) => {
    const runtime = deps.targets.runtime(request.params.target);
    if (!runtime) return problem(reply, 404, "unknown_target", `no target named ${JSON.stringify(request.params.target)}`);
    let result;
    try {
      result = await runtime.draft(request.body.values as ConfigValues, request.body.note ?? "admin API", request.body.share);
    } catch (error) {
      return problem(reply, 503, unavailable(error), `not drafted: ${(error as Error).message}`);
    }
    if (!result.ok) return problem(reply, result.error.code === "invalid_candidate" || result.error.code === "invalid_share" ? 400 : result.error.code === "store_unavailable" ? 503 : 409, result.error.code, result.error.message);
    const v = result.value;
    return reply.code(201).send({ target: request.params.target, version: v.id, parent: v.parent, changes: v.mutations, drafts: runtime.drafts });
  });

  app.post<{ Params: TargetParams; Body: RollbackBody }>("/v1/targets/:target/rollback", { schema: { params: TargetParams, body: RollbackBody } }, async (request, reply) => {
    const runtime = deps.targets.runtime(request.params.target);
    if (!runtime) return problem(reply, 404, "unknown_target", `no target named ${JSON.stringify(request.params.target)}`);
    const body = request.body;
    const chosen = findVersion(versionsOf(await deps.store.read(request.params.target)).values(), body.version);
    if (!chosen.ok) return problem(reply, chosen.error.code === "unknown_version" ? 404 : chosen.error.code === "ambiguous_version" ? 409 : 400, chosen.error.code, `${chosen.error.message} in target "${request.params.target}"`);
    let result;
    try {
      result = await runtime.rollbackTo(chosen.value.id, body.reason ?? "admin API rollback", body.segment);
      if (result.ok) await runtime.flush();
    } catch (error) {
      if (unavailable(error) === "store_unavailable") return problem(reply, 503, "store_unavailable", `rollback to ${body.version} decided but not yet in the history (retried; served once written): ${(error as Error).message}`);
      return problem(reply, 503, "shared_state_unavailable", `not rolled back: ${(error as Error).message}`);
    }
    if (!result.ok) return problem(reply, result.error.code === "unknown_version" || result.error.code === "unknown_segment" ? 404 : result.error.code === "store_unavailable" ? 503 : 409, result.error.code, result.error.message);
    return { target: request.params.target, baseline: result.value.id, ...(body.segment === undefined ? {} : { segment: body.segment }) };
  });
}
