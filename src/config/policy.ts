import { Type } from "@sinclair/typebox";
import { isKpiName } from "../domain/names.js";
import type { GuardrailKpi, MetricSpec, Policy, PrimaryKpi } from "../domain/target.js";
import { compileRule } from "../targeting/audience.js";
import { parseSchedule } from "../targeting/schedule.js";
import { compileSegments } from "../targeting/segments.js";
import { compile, StringEnum } from "./validate.js";

/**
 * The `policy` block of a target file as a TypeBox schema: every field documented, with a
 * default, validated strictly by ajv (no coercion: "40000abc" is not a number). The
 * descriptions are the reference of docs/target-file.md.
 */
const int = (minimum: number, maximum: number, fallback: number, description: string) => Type.Integer({ minimum, maximum, default: fallback, description });
const share = (maximum: number, fallback: number, description: string) => Type.Number({ minimum: 0, maximum, default: fallback, description });
const probability = (maximum: number, fallback: number, description: string) => Type.Number({ exclusiveMinimum: 0, maximum, default: fallback, description });

const KpiName = Type.String({ pattern: "^[a-z][a-z0-9_]{0,63}$", description: "snake_case metric name, at most 64 characters" });
const Kind = StringEnum(["proportion", "mean"] as const);
const Direction = StringEnum(["increase", "decrease"] as const);

/** How the KPI is aggregated per unit (domain/target.ts MetricType). */
const metricFields = {
  metric: StringEnum(["per_outcome", "binomial", "count", "sum", "unit_mean", "ratio", "quantile"] as const, { default: "per_outcome", description: "Per-unit aggregation: per_outcome (rate per outcome, the default), binomial, count, sum, unit_mean, ratio, or quantile (guardrails)." }),
  numerator: Type.Optional(KpiName),
  denominator: Type.Optional(KpiName),
  cap: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e12, description: "Per-unit cap of a sum metric." })),
  capPercentile: Type.Optional(Type.Number({ minimum: 0.5, maximum: 0.9999, description: "Per-unit cap of a sum metric at this percentile of the units' totals (winsorisation)." })),
  quantile: Type.Optional(Type.Number({ minimum: 0.01, maximum: 0.999, description: "The quantile of a quantile metric (0.99 = p99)." })),
  of: Type.Optional(KpiName),
};

const Primary = Type.Object(
  { kpi: KpiName, kind: Kind, direction: Direction, minLift: Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0, description: "Smallest relative lift worth a commit." }), ...metricFields },
  { additionalProperties: false, description: "The KPI a candidate must improve: {kpi, kind, direction, minLift}." },
);
const Guardrail = Type.Object(
  {
    kpi: KpiName,
    kind: Kind,
    direction: Direction,
    tolerance: Type.Number({ minimum: 0, exclusiveMaximum: 10, description: "Largest relative degradation allowed." }),
    hardLimit: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: "Circuit breaker: a proportion above this level pulls the arm at once." })),
    ...metricFields,
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    seed: Type.Union([Type.String({ maxLength: 200 }), Type.Number()], { default: "1", description: "Seed of every random stream of this target (mutations, screening)." }),
    alpha: probability(0.5, 0.05, "Error rate of every decision (two-sided for the primary, one-sided for guardrails)."),
    candidatesPerGeneration: int(1, 64, 4, "Candidates the mutation engine proposes per generation."),
    liveCandidates: int(1, 15, 2, "Screening survivors that go live per generation, best simulated primary first."),
    minUnitsPerArm: int(1, 1e9, 1000, "Units every arm needs before any commit or significance-based rollback."),
    maxUnitsPerArm: int(1, 1e9, 50000, "Budget: the experiment ends inconclusive once it has served this many units per arm in total (maxUnitsPerArm × arms)."),
    analysisEveryMs: int(1, 86_400_000, 60000, "Milliseconds between analysis ticks (virtual time in simulation)."),
    sequentialTuning: int(1, 1e9, 10000, "N* of the mixture sequential test: total units at which its interval is tightest."),
    maxGenerations: int(0, 1e6, 0, "Generations to run; 0 runs forever (the daemon)."),
    canary: Type.Object(
      {
        steps: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1 }), { minItems: 1, maxItems: 20, default: [0.1, 0.3, 0.5], description: "Total candidate traffic share at each ramp step, ascending." }),
        minUnitsPerStep: int(1, 1e9, 200, "Units each candidate arm sees at a step before the ramp moves on."),
      },
      { additionalProperties: false, default: {} },
    ),
    screening: Type.Object(
      {
        scenario: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()], { default: null, description: "Scenario file (relative to the target file) that screens candidates; null skips screening." }),
        unitsPerArm: int(1, 1e8, 4000, "Simulated units per arm in screening."),
      },
      { additionalProperties: false, default: {} },
    ),
    allocation: Type.Object(
      {
        mode: StringEnum(["thompson", "top-two", "ucb", "epsilon-greedy", "fixed"] as const, { default: "thompson", description: "thompson (weights = probability to be best), top-two (top-two Thompson), ucb (the arm with the highest upper confidence bound), epsilon-greedy, or fixed (equal split)." }),
        epsilon: probability(0.5, 0.1, "epsilon-greedy: share spread equally over the live arms; the rest goes to the best-looking arm."),
        floor: share(0.2, 0.05, "Smallest weight of every live arm."),
        baselineFloor: share(0.9, 0.2, "Smallest weight of the baseline, which every decision compares against."),
        topTwoBeta: probability(0.99, 0.5, "Top-two: chance of serving the leader."),
        draws: int(1, 1_000_000, 10000, "Monte-Carlo draws per allocation update."),
        burnInUnits: int(1, 1e9, 500, "Units every live arm needs before the bandit moves weights."),
        minChange: share(0.5, 0.02, "Reallocate only when weights move by at least this total-variation distance."),
      },
      { additionalProperties: false, default: {} },
    ),
    cuped: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: "Adjust the primary KPI by each returning unit's value in earlier experiments (CUPED): same error rates, fewer units to a decision." }),
        maxUnits: int(0, 2_097_152, 1_000_000, "Units whose earlier value is kept between experiments (8 bytes each), those of the latest experiment first."),
      },
      { additionalProperties: false, default: {} },
    ),
    search: Type.Object(
      {
        strategy: StringEnum(["surrogate", "mutation", "random"] as const, { default: "surrogate", description: "How candidates are proposed: surrogate (mutations ranked by a model fitted on every experiment's evidence), mutation (plain seeded mutations of the baseline), or random (every setting drawn afresh: a reference for benchmarks)." }),
        explore: share(1, 0.25, "surrogate: share of each generation's candidates that are plain mutations, so the model keeps seeing new ground."),
        pool: int(8, 4096, 256, "surrogate: mutations of the baseline (and recombinations of good arms) the model ranks per generation."),
        extendChance: share(1, 0.9, "An arm whose chance to beat the baseline is at least this when the budget runs out gets up to extendFactor × the budget (0 never extends)."),
        extendFactor: Type.Number({ minimum: 1, maximum: 10, default: 2, description: "Largest multiple of maxUnitsPerArm an experiment may run while an arm stays promising (1 never extends)." }),
      },
      { additionalProperties: false, default: {} },
    ),
    audience: Type.Optional(Type.Unknown({ description: "Who takes part: a JsonLogic rule over the unit's evaluation context (docs/targeting.md); units outside are served the baseline, not exposed and not counted. Absent or null: every unit." })),
    segments: Type.Optional(Type.Unknown({ description: "Named segments, first match wins: [{name, rule}] with JsonLogic rules over the unit's context (docs/targeting.md); every arm's KPIs are broken down by segment, the rest in \"other\"." })),
    segmentBaselines: Type.Boolean({ default: false, description: "With segments: commit a candidate for the segments it wins in (each segment then serves its own baseline) instead of only for the whole (docs/targeting.md)." }),
    schedule: Type.Optional(Type.Unknown({ description: "When experiments take traffic: {startAt, endAt, timeZone, windows: [{days, from, to}], maxDuration} (docs/targeting.md). Absent or null: always." })),
    primary: Primary,
    errorKpi: Type.String({ pattern: "^[a-z][a-z0-9_]{0,63}$", default: "error", description: "The KPI a stage's failures are reported on (docs/stages.md): 1 for a run that threw or broke its output schema, 0 otherwise; a guardrail with a hard limit when a target uses stages." }),
    trackedKpis: Type.Array(KpiName, { maxItems: 16, uniqueItems: true, default: [], description: "Other KPIs accumulated per arm for reports (not decided on); outcomes' other KPIs are ignored and counted." }),
    guardrails: Type.Array(Guardrail, { maxItems: 32, default: [], description: "KPIs a candidate must not degrade: [{kpi, kind, direction, tolerance, hardLimit?}]." }),
  },
  { additionalProperties: false },
);

const validatePolicy = compile(PolicySchema, "policy");

/** The policy as written, before the schema vouched for it: every field may be anything. */
type RawPolicy = { readonly [key: string]: any };

/** Ascending canary steps, counts that fit together, distinct KPIs, hard limits on proportions only. */
function crossFieldProblems(p: RawPolicy): string[] {
  const problems: string[] = [];
  const steps: unknown[] = Array.isArray(p.canary?.steps) ? p.canary.steps : [];
  let previous = 0;
  steps.forEach((step, i) => {
    if (typeof step === "number" && !(step > previous)) problems.push(`policy.canary.steps[${i}]: steps must be ascending shares in (0, 1]`);
    if (typeof step === "number") previous = step;
  });
  const num = (x: unknown) => (typeof x === "number" ? x : NaN);
  if (num(p.liveCandidates) > num(p.candidatesPerGeneration)) problems.push("policy.liveCandidates: must not exceed candidatesPerGeneration");
  if (num(p.minUnitsPerArm) > num(p.maxUnitsPerArm)) problems.push("policy.minUnitsPerArm: must not exceed maxUnitsPerArm");
  const guardrails: RawPolicy[] = Array.isArray(p.guardrails) ? p.guardrails.filter((g: unknown) => g !== null && typeof g === "object") : [];
  const kpis: unknown[] = [p.primary?.kpi, ...guardrails.map((g) => g.kpi)];
  kpis.forEach((kpi, i) => {
    if (typeof kpi !== "string") return;
    const where = i === 0 ? "policy.primary.kpi" : `policy.guardrails[${i - 1}].kpi`;
    if (!isKpiName(kpi)) problems.push(`${where}: ${JSON.stringify(kpi.slice(0, 60))} cannot be a KPI name`);
    else if (kpis.indexOf(kpi) !== i) problems.push(`${where}: repeats KPI "${kpi}"${kpis.indexOf(kpi) === 0 ? " (the primary KPI cannot also be a guardrail)" : ""}`);
  });
  guardrails.forEach((g, i) => {
    if (g.hardLimit !== undefined && g.kind !== "proportion") problems.push(`policy.guardrails[${i}].hardLimit: only proportion KPIs have a hard limit`);
    if (g.hardLimit !== undefined && (g.metric ?? "per_outcome") === "ratio") problems.push(`policy.guardrails[${i}].hardLimit: a ratio metric is not reported itself; put the breaker on a reported KPI`);
    if (g.hardLimit !== undefined && g.metric === "quantile") problems.push(`policy.guardrails[${i}].hardLimit: a quantile metric has no hard limit; put the breaker on a proportion KPI`);
  });
  const entries: [string, RawPolicy][] = [["policy.primary", p.primary], ...guardrails.map((g, i) => [`policy.guardrails[${i}]`, g] as [string, RawPolicy])];
  for (const [where, k] of entries) {
    if (k === null || typeof k !== "object") continue;
    const metric = k.metric ?? "per_outcome";
    if (metric === "ratio") {
      if (typeof k.numerator !== "string" || typeof k.denominator !== "string") problems.push(`${where}: a ratio metric needs numerator and denominator (the KPIs outcomes report)`);
      else if (k.numerator === k.denominator) problems.push(`${where}.denominator: must differ from the numerator`);
    } else {
      if (k.numerator !== undefined) problems.push(`${where}.numerator: only a ratio metric has one`);
      if (k.denominator !== undefined) problems.push(`${where}.denominator: only a ratio metric has one`);
    }
    if (k.cap !== undefined && metric !== "sum") problems.push(`${where}.cap: only a sum metric is capped`);
    if (k.capPercentile !== undefined && metric !== "sum") problems.push(`${where}.capPercentile: only a sum metric is capped`);
    if (k.capPercentile !== undefined && k.cap !== undefined) problems.push(`${where}.capPercentile: a metric is capped at a fixed value (cap) or a percentile, not both`);
    if (metric === "quantile") {
      if (where === "policy.primary") problems.push(`${where}.metric: a quantile metric is for guardrails (p99 latency may not rise more than 5 %)`);
      if (typeof k.quantile !== "number") problems.push(`${where}.quantile: a quantile metric needs its quantile (0.99 for p99)`);
      if (k.kind !== "mean") problems.push(`${where}.kind: a quantile metric reads non-negative values (kind mean)`);
    } else {
      if (k.quantile !== undefined) problems.push(`${where}.quantile: only a quantile metric has one`);
      if (k.of !== undefined) problems.push(`${where}.of: only a quantile metric reads another KPI`);
    }
    if (metric === "binomial" && k.kind !== "proportion") problems.push(`${where}.kind: a binomial metric reports 0/1 values (kind proportion)`);
  }
  return problems;
}

/** Validates and fills in a policy block; problems are "policy.<field>: rule" lines. */
export function parsePolicy(raw: unknown): { policy?: Policy; problems: string[] } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { problems: ["policy: must be an object"] };
  const checked = validatePolicy(raw);
  const { audience: rawAudience, schedule: rawSchedule, segments: rawSegments } = raw as RawPolicy;
  const segments = rawSegments === undefined || rawSegments === null ? null : compileSegments(rawSegments, "policy.segments");
  const audience = rawAudience === undefined || rawAudience === null ? null : compileRule(rawAudience, "policy.audience");
  const schedule = rawSchedule === undefined || rawSchedule === null ? null : parseSchedule(rawSchedule, "policy.schedule");
  // The rules a schema cannot say run on the raw value too, so one pass lists every problem.
  const problems = [...(checked.ok ? [] : checked.problems), ...crossFieldProblems(checked.ok ? checked.value : (raw as RawPolicy)), ...(audience?.problems ?? []), ...(schedule?.problems ?? []), ...(segments?.problems ?? [])];
  if ((raw as RawPolicy).segmentBaselines === true && !(Array.isArray(rawSegments) && rawSegments.length > 0)) problems.push("policy.segmentBaselines: needs policy.segments (the segments that get their own baseline)");
  if (!checked.ok || problems.length) return { problems };
  const p = checked.value;
  const primary: PrimaryKpi = { kpi: p.primary.kpi, kind: p.primary.kind, direction: p.primary.direction, minLift: p.primary.minLift, ...metricOf(p.primary) };
  const guardrails: GuardrailKpi[] = p.guardrails.map((g) => ({ kpi: g.kpi, kind: g.kind, direction: g.direction, tolerance: g.tolerance, ...(g.hardLimit === undefined ? {} : { hardLimit: g.hardLimit }), ...metricOf(g) }));
  return { policy: { ...p, seed: String(p.seed), primary, guardrails, canary: { ...p.canary }, screening: { ...p.screening }, allocation: { ...p.allocation }, cuped: { ...p.cuped }, search: { ...p.search }, audience: audience?.rule ?? null, schedule: schedule?.schedule ?? null, segments: segments?.segments ?? [] }, problems };
}

/** The metric fields of a checked KPI entry, without undefined keys. */
function metricOf(k: MetricSpec): MetricSpec {
  return { metric: k.metric, ...(k.numerator === undefined ? {} : { numerator: k.numerator }), ...(k.denominator === undefined ? {} : { denominator: k.denominator }), ...(k.cap === undefined ? {} : { cap: k.cap }), ...(k.capPercentile === undefined ? {} : { capPercentile: k.capPercentile }), ...(k.quantile === undefined ? {} : { quantile: k.quantile }), ...(k.of === undefined ? {} : { of: k.of }) };
}
