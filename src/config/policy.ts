import convict from "convict";
import { isKpiName } from "../domain/names.js";
import type { Direction, GuardrailKpi, KpiKind, Policy, PrimaryKpi } from "../domain/target.js";

/**
 * The `policy` block of a target file, as a convict schema: every field documented, with a
 * default, validated strictly. `evolvd` prints these docs in docs/target-file.md.
 */
const policySchema = {
  seed: { doc: "Seed of every random stream of this target (mutations, screening).", format: String, default: "1" },
  alpha: { doc: "Error rate of every decision (two-sided for the primary, one-sided for guardrails).", format: probability(0.5), default: 0.05 },
  candidatesPerGeneration: { doc: "Candidates the mutation engine proposes per generation.", format: positiveInt(64), default: 4 },
  liveCandidates: { doc: "Screening survivors that go live per generation, best simulated primary first.", format: positiveInt(16), default: 2 },
  minUnitsPerArm: { doc: "Units every arm needs before any commit or significance-based rollback.", format: positiveInt(1e9), default: 1000 },
  maxUnitsPerArm: { doc: "Budget: the experiment ends inconclusive once it has served this many units per arm in total (maxUnitsPerArm × arms).", format: positiveInt(1e9), default: 50000 },
  analysisEveryMs: { doc: "Milliseconds between analysis ticks (virtual time in simulation).", format: positiveInt(86_400_000), default: 60000 },
  sequentialTuning: { doc: "N* of the mixture sequential test: total units at which its interval is tightest.", format: positiveInt(1e9), default: 10000 },
  maxGenerations: { doc: "Generations to run; 0 runs forever (the daemon).", format: nonNegativeInt(1e6), default: 0 },
  canary: {
    steps: { doc: "Total candidate traffic share at each ramp step, ascending.", format: rampSteps, default: [0.1, 0.3, 0.5] },
    minUnitsPerStep: { doc: "Units each candidate arm sees at a step before the ramp moves on.", format: positiveInt(1e9), default: 200 },
  },
  screening: {
    scenario: { doc: "Scenario file (relative to the target file) that screens candidates; null skips screening.", format: nullableString, default: null as string | null },
    unitsPerArm: { doc: "Simulated units per arm in screening.", format: positiveInt(1e8), default: 4000 },
  },
  allocation: {
    mode: { doc: "thompson (weights = probability to be best), top-two (top-two Thompson), or fixed (equal split).", format: ["thompson", "top-two", "fixed"], default: "thompson" },
    floor: { doc: "Smallest weight of every live arm.", format: fraction(0.2), default: 0.05 },
    baselineFloor: { doc: "Smallest weight of the baseline, which every decision compares against.", format: fraction(0.9), default: 0.2 },
    topTwoBeta: { doc: "Top-two: chance of serving the leader.", format: probability(0.99), default: 0.5 },
    draws: { doc: "Monte-Carlo draws per allocation update.", format: positiveInt(1_000_000), default: 10000 },
    burnInUnits: { doc: "Units every live arm needs before the bandit moves weights.", format: positiveInt(1e9), default: 500 },
    minChange: { doc: "Reallocate only when weights move by at least this total-variation distance.", format: fraction(0.5), default: 0.02 },
  },
  primary: { doc: "The KPI a candidate must improve: {kpi, kind, direction, minLift}.", format: primaryFormat, default: null as unknown },
  guardrails: { doc: "KPIs a candidate must not degrade: [{kpi, kind, direction, tolerance, hardLimit?}].", format: guardrailsFormat, default: [] as unknown[] },
};

/** Validates and fills in a policy block; problems are "policy.<field>: rule" lines. */
export function parsePolicy(raw: unknown): { policy?: Policy; problems: string[] } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { problems: ["policy: must be an object"] };
  const withSeed = { ...(raw as Record<string, unknown>) };
  if (typeof withSeed.seed === "number") withSeed.seed = String(withSeed.seed);
  const config = convict(policySchema as convict.Schema<unknown>, { env: {}, args: [] });
  try {
    config.load(withSeed);
    config.validate({ allowed: "strict" });
  } catch (error) {
    return { problems: String((error as Error).message).split("\n").filter(Boolean).map((line) => `policy.${line.trim()}`) };
  }
  const props = config.getProperties() as Record<string, unknown>;
  const policy = props as unknown as Policy;
  const problems: string[] = [];
  if (policy.liveCandidates > policy.candidatesPerGeneration) problems.push("policy.liveCandidates: must not exceed candidatesPerGeneration");
  if (policy.minUnitsPerArm > policy.maxUnitsPerArm) problems.push("policy.minUnitsPerArm: must not exceed maxUnitsPerArm");
  const primary = normalisePrimary(props.primary as Record<string, unknown>);
  const guardrails = (props.guardrails as Record<string, unknown>[]).map(normaliseGuardrail);
  if (guardrails.some((g) => g.kpi === primary.kpi)) problems.push("policy.guardrails: the primary KPI cannot also be a guardrail");
  if (problems.length) return { problems };
  return { policy: { ...policy, primary, guardrails, allocation: { ...policy.allocation } }, problems };
}

function normalisePrimary(raw: Record<string, unknown>): PrimaryKpi {
  return { kpi: raw.kpi as string, kind: raw.kind as KpiKind, direction: raw.direction as Direction, minLift: (raw.minLift as number | undefined) ?? 0 };
}

function normaliseGuardrail(raw: Record<string, unknown>): GuardrailKpi {
  const guardrail: GuardrailKpi = { kpi: raw.kpi as string, kind: raw.kind as KpiKind, direction: raw.direction as Direction, tolerance: raw.tolerance as number };
  return raw.hardLimit === undefined ? guardrail : { ...guardrail, hardLimit: raw.hardLimit as number };
}

// ── formats: each throws an Error whose message convict prefixes with the field path ──

function probability(max: number) {
  return (value: unknown) => {
    if (typeof value !== "number" || !(value > 0 && value <= max)) throw new Error(`must be a number in (0, ${max}]`);
  };
}
function fraction(max: number) {
  return (value: unknown) => {
    if (typeof value !== "number" || !(value >= 0 && value <= max)) throw new Error(`must be a number in [0, ${max}]`);
  };
}
function positiveInt(max: number) {
  return (value: unknown) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) throw new Error(`must be an integer in [1, ${max}]`);
  };
}
function nonNegativeInt(max: number) {
  return (value: unknown) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) throw new Error(`must be an integer in [0, ${max}]`);
  };
}
function nullableString(value: unknown): void {
  if (value !== null && typeof value !== "string") throw new Error("must be a string or null");
}
function rampSteps(value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) throw new Error("must be a non-empty array of shares");
  let previous = 0;
  for (const step of value) {
    if (typeof step !== "number" || !(step > previous && step <= 1)) throw new Error("must be ascending shares in (0, 1]");
    previous = step;
  }
}
function kpiFields(raw: unknown, what: string, allowed: readonly string[]): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${what} must be an object`);
  const kpi = raw as Record<string, unknown>;
  for (const key of Object.keys(kpi)) if (!allowed.includes(key)) throw new Error(`${what} has unknown field "${key}"`);
  if (typeof kpi.kpi !== "string" || !isKpiName(kpi.kpi)) throw new Error(`${what}.kpi must be a snake_case metric name (at most 64 characters)`);
  if (kpi.kind !== "proportion" && kpi.kind !== "mean") throw new Error(`${what}.kind must be "proportion" or "mean"`);
  if (kpi.direction !== "increase" && kpi.direction !== "decrease") throw new Error(`${what}.direction must be "increase" or "decrease"`);
  return kpi;
}
function primaryFormat(value: unknown): void {
  const kpi = kpiFields(value, "primary", ["kpi", "kind", "direction", "minLift"]);
  if (kpi.minLift !== undefined && (typeof kpi.minLift !== "number" || kpi.minLift < 0 || kpi.minLift >= 1))
    throw new Error("primary.minLift must be a relative lift in [0, 1)");
}
function guardrailsFormat(value: unknown): void {
  if (!Array.isArray(value)) throw new Error("must be an array");
  const seen = new Set<string>();
  value.forEach((raw, i) => {
    const kpi = kpiFields(raw, `[${i}]`, ["kpi", "kind", "direction", "tolerance", "hardLimit"]);
    if (typeof kpi.tolerance !== "number" || !(kpi.tolerance >= 0 && kpi.tolerance < 10)) throw new Error(`[${i}].tolerance must be a relative tolerance in [0, 10)`);
    if (kpi.hardLimit !== undefined && (kpi.kind !== "proportion" || typeof kpi.hardLimit !== "number" || !(kpi.hardLimit > 0 && kpi.hardLimit <= 1)))
      throw new Error(`[${i}].hardLimit is only for proportion KPIs and must be in (0, 1]`);
    if (seen.has(kpi.kpi as string)) throw new Error(`[${i}] repeats KPI "${String(kpi.kpi)}"`);
    seen.add(kpi.kpi as string);
  });
}
