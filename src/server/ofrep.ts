import type { FastifyInstance, FastifyReply } from "fastify";
import { canonicalJson, sha256, shortId } from "../config/canonical.js";
import type { Clock } from "../domain/clock.js";
import { getPath, leafPaths, type ConfigValues, type JsonValue } from "../domain/values.js";
import { exposureAttributes } from "../stream/parse-event.js";
import type { ExperimentRouter } from "../stream/router.js";
import type { EvaluationContext } from "../targeting/audience.js";
import { OfrepBody, OfrepParams } from "./route-schemas.js";

/**
 * OpenFeature Remote Evaluation Protocol (OFREP) v1.
 *
 * Flag keys: `<target>` evaluates the whole configuration object; `<target>.<path>` one
 * setting (`checkout.retry.limit`). Target names contain no dots, so the first dot splits.
 * Bulk evaluation lists both: each target, then each of its settings.
 * Every successful evaluation is an exposure of the unit to the version it was served.
 */
export interface OfrepDeps {
  readonly router: ExperimentRouter;
  readonly clock: Clock;
  /** Where exposures go: the transaction pipeline. */
  readonly expose: (event: { type: "exposure"; target: string; unit: string; ts: number; arm: string; attributes?: Record<string, string | number | boolean> }) => void;
  readonly onEvaluation?: (target: string, armIndex: number) => void;
}

type Evaluation =
  | { readonly key: string; readonly value: JsonValue; readonly reason: "SPLIT" | "STATIC" | "DEFAULT"; readonly variant: string; readonly metadata: Record<string, string | number | boolean> }
  | { readonly key: string; readonly errorCode: string; readonly errorDetails: string; readonly status: number };

/** The unit of an evaluation context, or the OFREP error code and details. */
function unitOf(context: unknown): { unit: string } | { errorCode: string; errorDetails: string } {
  if (context === null || typeof context !== "object" || Array.isArray(context)) return { errorCode: "INVALID_CONTEXT", errorDetails: "context must be an object" };
  const targetingKey = (context as Record<string, unknown>).targetingKey;
  if (targetingKey === undefined || targetingKey === null || targetingKey === "")
    return { errorCode: "TARGETING_KEY_MISSING", errorDetails: "context.targetingKey is required: it is the unit evolvd randomizes" };
  if (typeof targetingKey !== "string" || targetingKey.length > 256) return { errorCode: "INVALID_CONTEXT", errorDetails: "context.targetingKey must be a string of at most 256 characters" };
  return { unit: targetingKey };
}

function evaluate(deps: OfrepDeps, key: string, context: unknown): Evaluation {
  const checked = unitOf(context);
  if ("errorCode" in checked) return { key, ...checked, status: 400 };
  const targetingKey = checked.unit;
  const dot = key.indexOf(".");
  const target = dot < 0 ? key : key.slice(0, dot);
  const path = dot < 0 ? null : key.slice(dot + 1);
  const now = deps.clock.now();
  const served = deps.router.evaluate(target, targetingKey, context as EvaluationContext, now);
  if (!served.ok) return { key, errorCode: "FLAG_NOT_FOUND", errorDetails: `no target named ${JSON.stringify(target)}`, status: 404 };
  const { version, experiment, reason, audience } = served.value;
  const value = path === null ? version.values : getPath(version.values, path);
  if (value === undefined) return { key, errorCode: "FLAG_NOT_FOUND", errorDetails: `target "${target}" has no setting "${path}"`, status: 404 };
  const live = experiment ? deps.router.experiment(target) : undefined;
  const armIndex = live?.indexOf(version.id) ?? 0;
  // A unit outside the audience takes no part: not exposed, so its outcomes are not counted.
  // With segments, the exposure carries the context the unit's segment is read from.
  if (audience !== "outside") deps.expose({ type: "exposure", target, unit: targetingKey, ts: now, arm: version.id, ...(live?.segmented ? { attributes: exposureAttributes(context as Record<string, unknown>) } : {}) });
  deps.onEvaluation?.(target, armIndex);
  const metadata: Record<string, string> = { target, version: version.id, arm: armIndex === 0 ? "baseline" : `candidate_${armIndex}` };
  if (experiment) metadata.experiment = experiment;
  if (audience) metadata.audience = audience;
  return { key, value, reason, variant: shortId(version.id), metadata };
}

/** The success answer's shape, compiled into a serializer (the value itself is any JSON). */
const EVALUATION = {
  type: "object",
  properties: {
    key: { type: "string" },
    value: {},
    reason: { type: "string" },
    variant: { type: "string" },
    metadata: { type: "object", properties: { target: { type: "string" }, version: { type: "string" }, arm: { type: "string" }, experiment: { type: "string" }, audience: { type: "string" } } },
  },
} as const;

function send(reply: FastifyReply, evaluation: Evaluation): FastifyReply {
  if ("errorCode" in evaluation) {
    const { status, ...body } = evaluation;
    return reply.code(status).send(body);
  }
  return reply.code(200).send(evaluation);
}

export function registerOfrep(app: FastifyInstance, deps: OfrepDeps): void {
  app.post<{ Params: OfrepParams; Body: OfrepBody }>("/ofrep/v1/evaluate/flags/:key", { schema: { params: OfrepParams, body: OfrepBody, response: { 200: EVALUATION } } }, async (request, reply) => {
    return send(reply, evaluate(deps, request.params.key, request.body.context));
  });

  app.post<{ Body: OfrepBody }>("/ofrep/v1/evaluate/flags", { schema: { body: OfrepBody } }, async (request, reply) => {
    const body = request.body;
    // A context error applies to every flag: answer it once, as the spec does for bulk.
    const checked = unitOf(body?.context);
    if ("errorCode" in checked) return reply.code(400).send(checked);
    // Each target once (one exposure), then each of its settings as its own flag with the same
    // variant and metadata: providers that fetch in bulk (web, static context) can then ask for
    // `checkout.timeout_ms` as they would in a single evaluation.
    const flags = deps.router.targets().flatMap((target): object[] => {
      const e = evaluate(deps, target, body?.context);
      if ("errorCode" in e) {
        const { status: _status, ...rest } = e;
        return [rest];
      }
      const values = e.value as ConfigValues;
      return [e, ...leafPaths(values).map((path) => ({ ...e, key: `${target}.${path}`, value: getPath(values, path) as JsonValue }))];
    });
    const payload = { flags };
    const etag = `"${sha256(canonicalJson(payload as unknown as JsonValue)).slice(0, 32)}"`;
    reply.header("ETag", etag);
    if (request.headers["if-none-match"] === etag) return reply.code(304).send();
    return reply.code(200).send(payload);
  });
}
