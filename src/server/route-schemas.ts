import { Type, type Static, type TSchema } from "@sinclair/typebox";
import type { FastifySchemaCompiler } from "fastify";
import { compile } from "../config/validate.js";
import { STAGE_VERSION } from "../config/schema.js";
import { STAGE_ID } from "../config/target-schema.js";
import { TARGET_NAME } from "../domain/names.js";

/**
 * The schemas of the HTTP routes, from the one schema toolchain (config/validate.ts): TypeBox
 * definitions give both the checks and the handlers' types. OFREP's evaluation context keeps
 * its checks in code, because OFREP names each broken rule with its own error code
 * (TARGETING_KEY_MISSING, INVALID_CONTEXT); events keep their hand-tuned per-line parser
 * (stream/parse-event.ts), which the tail-latency benchmark measured on the hot path.
 */

const reason = Type.String({ maxLength: 1_000, rule: "must be a string of at most 1000 characters" });

export const TargetParams = Type.Object(
  { target: Type.String({ pattern: TARGET_NAME.source, rule: "is not a target name (lower-case letters, digits, '-', '_', at most 63)" }) },
  { additionalProperties: false },
);
export type TargetParams = Static<typeof TargetParams>;

/** `POST …/kill`: the body is optional. */
export const KillBody = Type.Object({ reason: Type.Optional(reason) }, { additionalProperties: false });
export type KillBody = Static<typeof KillBody>;

export const RollbackBody = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 200, rule: "must be the id of the version to roll back to" }),
    reason: Type.Optional(reason),
    segment: Type.Optional(Type.String({ minLength: 1, maxLength: 64, rule: "must name a segment of the target (per-segment baselines)" })),
  },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;

/** `POST …/candidates`: an operator's candidate, all settings or those it changes (checked against the target's schema). */
export const CandidateBody = Type.Object(
  {
    values: Type.Record(Type.String(), Type.Unknown(), { rule: "must be an object of settings (all of them, or those the candidate changes)" }),
    note: Type.Optional(reason),
    share: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, rule: "must be a traffic share in (0, 1)" })),
  },
  { additionalProperties: false },
);
export type CandidateBody = Static<typeof CandidateBody>;

export const DiffQuery = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 200, rule: "must be a version id, a prefix of at least 6 hex digits, or baseline[:<segment>] with target" }),
    to: Type.String({ minLength: 1, maxLength: 200, rule: "must be a version id, a prefix of at least 6 hex digits, or baseline[:<segment>] with target" }),
    target: Type.Optional(Type.String({ pattern: TARGET_NAME.source, rule: "is not a target name" })),
  },
  { additionalProperties: false },
);
export type DiffQuery = Static<typeof DiffQuery>;

/** An OFREP request body: the context is checked in code (see above), anything else is allowed as the spec says. */
export const OfrepBody = Type.Object({ context: Type.Optional(Type.Unknown()) });
export type OfrepBody = Static<typeof OfrepBody>;

export const OfrepParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 1024 }) });
export type OfrepParams = Static<typeof OfrepParams>;

/** A route's problems, for its error handler: which part of the request, and every broken rule. */
export class RouteValidationError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly part: string,
    readonly problems: readonly string[],
  ) {
    super(problems.join("; "));
  }
}

/**
 * Fastify's validator compiler, replaced by ours: no coercion, unknown fields are errors (where
 * fastify's default ajv would drop them silently), and the messages name the field and the rule.
 * An absent body is an empty object, so optional bodies need no `null` in their schema.
 */
export const routeValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const part = httpPart === "querystring" ? "query" : (httpPart ?? "request");
  const check = compile(schema, part, { inPlace: true });
  return (data: unknown) => {
    const result = check(data === null && part === "body" ? {} : data);
    return result.ok ? { value: result.value } : { error: new RouteValidationError(part, result.problems) };
  };
};

/** `GET /v1/sdk/state` and `/v1/sdk/stream`: the targets an SDK syncs (comma-separated; all when absent). */
export const SdkQuery = Type.Object(
  { targets: Type.Optional(Type.String({ maxLength: 4096, pattern: "^[a-z0-9_,-]*$", rule: "must be target names separated by commas" })) },
  { additionalProperties: false },
);
export type SdkQuery = Static<typeof SdkQuery>;

const StageId = Type.String({ pattern: STAGE_ID.source, rule: "must be a stage id (lower-case letters, digits, '_', '.', '-', at most 64)" });
const StageVersionId = Type.String({ pattern: STAGE_VERSION.source, rule: "must be a stage version: the SHA-256 of its code, 64 lower-case hex digits" });
const TargetName = Type.String({ pattern: TARGET_NAME.source, rule: "is not a target name" });

/** `POST /v1/sdk/registry`: an SDK's registry of pipeline stages (stages/registry.ts RegistryReport). */
export const RegistryReportBody = Type.Object(
  {
    sdk: Type.String({ minLength: 8, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$", rule: "must be the SDK instance's id (8–64 letters, digits, '-', '_')" }),
    targets: Type.Union([Type.Array(TargetName, { maxItems: 1000 }), Type.Null()], { rule: "must be the targets the SDK syncs, or null for all" }),
    stages: Type.Array(
      Type.Object(
        {
          id: StageId,
          mutable: Type.Boolean(),
          versions: Type.Array(Type.Object({ version: StageVersionId, input: Type.Unknown(), output: Type.Unknown() }, { additionalProperties: false }), { maxItems: 256 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 256 },
    ),
    missing: Type.Optional(Type.Array(Type.Object({ target: TargetName, stage: StageId, version: StageVersionId, count: Type.Integer({ minimum: 0, maximum: 1e12 }) }, { additionalProperties: false }), { maxItems: 10_000 })),
    closing: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RegistryReportBody = Static<typeof RegistryReportBody>;
