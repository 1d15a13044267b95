import { dirname, resolve } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { fileProblem, parseJsonObject, readTextFile, type FileProblem } from "../config/json-file.js";
import { compile, StringEnum } from "../config/validate.js";
import { err, ok, type Result } from "../domain/result.js";
import type { SchemaLeaf, Target } from "../domain/target.js";
import type { ResponseModel, SettingTerm } from "./response-model.js";

/**
 * A scenario file (docs/scenario-file.md) as TypeBox schemas, validated by ajv through
 * `compile()`: types, bounds, required and unknown fields. What needs more than one field stays
 * in code below the schemas: segment shares sum to 1, a term has exactly one kind (and `path`,
 * or `paths` for an interaction), KPI names are snake_case, a scenario has a model or a replay.
 */
const object = { additionalProperties: false } as const;
const positive = (maximum: number, description: string) => Type.Number({ exclusiveMinimum: 0, maximum, description });

const SegmentSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, rule: "must be a non-empty string" }),
    share: Type.Number({ exclusiveMinimum: 0, rule: "must be a positive number", description: "Share of units; the shares sum to 1." }),
    attributes: Type.Record(Type.String(), Type.String(), { default: {}, description: "Attributes a unit of the segment sends (device: mobile)." }),
  },
  object,
);

const TrafficSchema = Type.Object(
  {
    visitsPerSecond: positive(1e5, "Mean arrivals per second of virtual time (Poisson)."),
    population: positive(1e8, "Distinct units that visit (returning units keep their arm: stickiness is exercised)."),
    maxHours: positive(24 * 365, "Virtual hours after which the run stops even if generations remain."),
    outcomesPerVisit: Type.Number({ minimum: 1, maximum: 100, default: 1, rule: "must be a number in [1, 100]", description: "Mean outcomes a visit reports (1 + Poisson(mean − 1): page views of a session, requests of a page), each drawn from the model." }),
    segments: Type.Array(SegmentSchema, { minItems: 1, rule: "must be a non-empty array", default: [{ name: "all", share: 1, attributes: {} }] }),
  },
  { ...object, rule: "must be an object {visitsPerSecond, population, maxHours, segments}" },
);
export type Traffic = Static<typeof TrafficSchema>;

/** A term as written: one object with every kind optional; "exactly one kind" is code. */
const TermSchema = Type.Object(
  {
    path: Type.Optional(Type.String({ rule: "must name a setting" })),
    paths: Type.Optional(Type.Array(Type.String(), { minItems: 2, maxItems: 2, rule: "must name two settings", description: "The two settings of an interaction term." })),
    interaction: Type.Optional(Type.Number({ description: "c of c·(xa − ca)·(xb − cb); a Boolean counts as 0/1." })),
    centers: Type.Optional(Type.Array(Type.Number(), { minItems: 2, maxItems: 2, rule: "must be two numbers", description: "[ca, cb] of an interaction term (default [0, 0])." })),
    linear: Type.Optional(Type.Number()),
    quadratic: Type.Optional(Type.Number()),
    center: Type.Optional(Type.Number({ description: "x0 of a linear or quadratic term (default 0)." })),
    ifTrue: Type.Optional(Type.Number()),
    levels: Type.Optional(Type.Record(Type.String(), Type.Number())),
    dot: Type.Optional(Type.Array(Type.Number(), { minItems: 1 })),
    segments: Type.Optional(Type.Array(Type.String(), { minItems: 1, rule: "must be a non-empty array of traffic segment names", description: "The traffic segments the term acts in (absent: all)." })),
  },
  object,
);
const TERM_KINDS = ["linear", "quadratic", "ifTrue", "levels", "dot", "interaction"] as const;

const KpiModelSchema = Type.Object(
  {
    distribution: StringEnum(["bernoulli", "normal", "lognormal"] as const, { rule: "must be bernoulli, normal or lognormal" }),
    intercept: Type.Number(),
    sd: Type.Optional(Type.Number({ exclusiveMinimum: 0, rule: "must be a positive number", description: "Of the value (normal) or of its logarithm (lognormal)." })),
    terms: Type.Optional(Type.Array(TermSchema)),
    segments: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: "Offset of η per segment name." })),
    unitSd: Type.Optional(Type.Number({ minimum: 0, maximum: 10, rule: "must be a number in [0, 10]", description: "Standard deviation of a persistent per-unit random effect on η: units that differ from each other, so a unit's outcomes are correlated." })),
  },
  object,
);
const ModelSchema = Type.Record(Type.String(), KpiModelSchema, { minProperties: 1, rule: "must be an object of KPI name → model" });

const ScenarioSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, rule: "must be a non-empty string" }),
    description: Type.Optional(Type.String()),
    target: Type.String({ rule: "must be the path of a target file, relative to this file" }),
    seed: Type.Optional(Type.Union([Type.String(), Type.Number()], { rule: "must be a number or string" })),
    // Overrides are a policy only once merged onto the target's: parsePolicy checks the merge.
    policy: Type.Record(Type.String(), Type.Unknown(), { default: {}, rule: "must be an object of policy overrides" }),
    traffic: TrafficSchema,
    replay: Type.Optional(Type.Union([Type.String(), Type.Null()], { rule: "must be the path of an NDJSON file" })),
    model: Type.Optional(ModelSchema),
    screeningModel: Type.Optional(ModelSchema),
  },
  object,
);
type ScenarioFile = Static<typeof ScenarioSchema>;
const checkScenario = compile(ScenarioSchema, "");

/** A validated scenario file (format: docs/scenario-file.md). */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Absolute path of the target file it optimizes. */
  readonly targetFile: string;
  readonly seed: string;
  /** Overrides of the target's policy for this simulation (e.g. maxGenerations). */
  readonly policy: Readonly<Record<string, unknown>>;
  readonly traffic: Traffic;
  /** Truth of the simulated world; null for a replay. */
  readonly model: ResponseModel | null;
  /** The model screening sees (a digital twin may be imperfect); defaults to `model`. */
  readonly screeningModel: ResponseModel | null;
  /** Absolute path of a recorded NDJSON stream to replay instead of generating traffic. */
  readonly replay: string | null;
  readonly file: string;
}

export function loadScenarioFile(file: string): Result<Scenario, FileProblem> {
  const text = readTextFile(file);
  return text.ok ? parseScenario(text.value, resolve(file)) : text;
}

export function parseScenario(text: string, file: string): Result<Scenario, FileProblem> {
  const parsed = parseJsonObject(text, file);
  if (!parsed.ok) return parsed;
  const checked = checkScenario(parsed.value);
  // The rules a schema cannot say run on the raw file too, so one pass lists every problem.
  const problems = [...(checked.ok ? [] : checked.problems), ...crossFieldProblems(checked.ok ? checked.value : parsed.value)];
  if (!checked.ok || problems.length) return err(fileProblem(file, problems));
  const doc: ScenarioFile = checked.value;
  const here = dirname(file);
  const { visitsPerSecond, population, maxHours, outcomesPerVisit } = doc.traffic;
  // Every term has exactly one kind now (crossFieldProblems): each is one of Term's shapes.
  const model = doc.model === undefined ? null : (doc.model as ResponseModel);
  return ok({
    name: doc.name,
    description: doc.description ?? "",
    targetFile: resolve(here, doc.target),
    seed: String(doc.seed ?? "1"),
    policy: doc.policy,
    traffic: { visitsPerSecond, population: Math.floor(population), maxHours, outcomesPerVisit, segments: doc.traffic.segments.map((s) => ({ name: s.name, share: s.share, attributes: s.attributes })) },
    model,
    screeningModel: doc.screeningModel === undefined ? model : (doc.screeningModel as ResponseModel),
    replay: doc.replay === undefined || doc.replay === null ? null : resolve(here, doc.replay),
    file,
  });
}

/** The file as written, before the schema vouched for it: every field may be anything. */
type Raw = { readonly [key: string]: any };
const isObject = (x: unknown): x is Raw => x !== null && typeof x === "object" && !Array.isArray(x);

/** Shares that sum to 1, snake_case KPI names, one kind per term, a model or a replay. */
function crossFieldProblems(doc: Raw): string[] {
  const problems: string[] = [];
  const segments: unknown[] = isObject(doc.traffic) && Array.isArray(doc.traffic.segments) ? doc.traffic.segments : [];
  const shares = segments.map((s) => (isObject(s) ? s.share : undefined));
  if (shares.length > 0 && shares.every((s) => typeof s === "number")) {
    const total = (shares as number[]).reduce((a, s) => a + s, 0);
    if (Math.abs(total - 1) > 1e-9) problems.push(`traffic.segments: shares must sum to 1 (they sum to ${total})`);
  }
  for (const where of ["model", "screeningModel"] as const) {
    if (!isObject(doc[where])) continue;
    for (const [kpi, spec] of Object.entries(doc[where] as Raw)) {
      const at = `${where}.${kpi}`;
      if (!/^[a-z][a-z0-9_]*$/.test(kpi)) problems.push(`${at}: KPI names are snake_case`);
      const terms: unknown[] = isObject(spec) && Array.isArray(spec.terms) ? spec.terms : [];
      const names = new Set(segments.map((s) => (isObject(s) ? s.name : undefined)));
      terms.forEach((term, i) => {
        if (!isObject(term)) return;
        problems.push(...termProblems(term, `${at}.terms[${i}]`));
        if (Array.isArray(term.segments)) for (const name of term.segments) if (!names.has(name)) problems.push(`${at}.terms[${i}].segments: ${JSON.stringify(name)} is not a traffic segment`);
      });
    }
  }
  if (doc.model === undefined && (doc.replay === undefined || doc.replay === null)) problems.push("model: a scenario needs a response model, or a replay file");
  return problems;
}

/** One kind per term; an interaction names two distinct settings in `paths`, any other term one in `path`. */
function termProblems(term: Raw, at: string): string[] {
  const kinds = TERM_KINDS.filter((k) => k in term);
  if (kinds.length !== 1) return [`${at}: needs exactly one of ${TERM_KINDS.join(", ")}`];
  const problems: string[] = [];
  if ("center" in term && kinds[0] !== "linear" && kinds[0] !== "quadratic") problems.push(`${at}.center: only linear and quadratic terms have a center`);
  if (kinds[0] === "interaction") {
    if ("path" in term) problems.push(`${at}.path: an interaction names its two settings in "paths", not "path"`);
    if (!("paths" in term)) problems.push(`${at}.paths: an interaction needs the two settings it multiplies, [a, b]`);
    else if (Array.isArray(term.paths) && term.paths.length === 2 && term.paths[0] === term.paths[1]) problems.push(`${at}.paths: must name two distinct settings (both are ${JSON.stringify(term.paths[0])})`);
  } else {
    if ("paths" in term) problems.push(`${at}.paths: only an interaction term has two settings; a ${kinds[0]} term names one in "path"`);
    if ("centers" in term) problems.push(`${at}.centers: only an interaction term has centers`);
    if (!("path" in term)) problems.push(`${at}.path: must name a setting`);
  }
  return problems;
}

/** Checks a scenario's model paths against the target's schema: each term must fit its setting. */
export function checkAgainstTarget(scenario: Scenario, target: Target): string[] {
  const problems: string[] = [];
  const leaves = new Map(target.schema.map((leaf) => [leaf.path, leaf]));
  const kpis = [target.policy.primary.kpi, ...target.policy.guardrails.map((g) => g.kpi)];
  for (const [where, model] of [["model", scenario.model], ["screeningModel", scenario.screeningModel]] as const) {
    if (!model) continue;
    for (const kpi of kpis) if (!(kpi in model)) problems.push(`${where}: has no model for the target's KPI "${kpi}"`);
    for (const [kpi, m] of Object.entries(model))
      (m.terms ?? []).forEach((term, i) => {
        const at = `${where}.${kpi}.terms[${i}]`;
        if (!("interaction" in term)) {
          const broken = termFits(term, leaves.get(term.path));
          if (broken) problems.push(`${at}: ${broken}`);
        } else
          term.paths.forEach((path, j) => {
            const leaf = leaves.get(path);
            if (!leaf) problems.push(`${at}.paths[${j}]: "${path}" is not a setting of the target`);
            else if (leaf.kind !== "boolean" && leaf.kind !== "integer" && leaf.kind !== "number") problems.push(`${at}.paths[${j}]: an interaction needs Boolean or numeric settings, "${path}" is ${leaf.kind}`);
          });
      });
  }
  return problems;
}

function termFits(term: SettingTerm, leaf: SchemaLeaf | undefined): string | null {
  if (!leaf) return `"${term.path}" is not a setting of the target`;
  const numeric = leaf.kind === "integer" || leaf.kind === "number";
  if (("linear" in term || "quadratic" in term) && !numeric) return `linear/quadratic terms need a numeric setting`;
  if ("ifTrue" in term && leaf.kind !== "boolean") return "ifTrue needs a Boolean setting";
  if ("levels" in term && leaf.kind !== "enum" && leaf.kind !== "function") return "levels need an enum or function setting";
  if ("dot" in term && (leaf.kind !== "weights" || term.dot.length !== leaf.length)) return "dot needs a weights setting of the same length";
  return null;
}
