import { describe, expect, it } from "vitest";
import { versionIdOf } from "../../../src/config/canonical.js";
import { validateValues } from "../../../src/config/schema.js";
import type { SearchPolicy, Target } from "../../../src/domain/target.js";
import { setPath, type ConfigValues } from "../../../src/domain/values.js";
import type { Version } from "../../../src/domain/version.js";
import { proposeCandidates } from "../../../src/mutation/engine.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { featureSpace } from "../../../src/search/features.js";
import type { Observation } from "../../../src/search/observations.js";
import { searchCandidates, type SearchInput } from "../../../src/search/propose.js";
import { checkoutTarget } from "../../helpers.js";

const target: Target = checkoutTarget();
const version = (values: ConfigValues, parent: string | null = null): Version => ({ id: versionIdOf(values), target: "checkout", values, parent, mutations: [], seed: null, generation: 1, createdAt: 0 });
const baseline = version(target.baseline);
const POLICY: SearchPolicy = { strategy: "surrogate", explore: 0.25, pool: 256, extendChance: 0.9, extendFactor: 2 };

/** Arms that each changed one setting of the baseline, with what they showed live. */
function evidence(arms: readonly { path: string; value: unknown; conversion: number; latency?: number }[]): { versions: Map<string, Version>; observations: Observation[] } {
  const versions = new Map([[baseline.id, baseline]]);
  const observations: Observation[] = [];
  for (const a of arms) {
    const v = version(setPath(target.baseline, a.path, a.value as never), baseline.id);
    versions.set(v.id, v);
    observations.push({ arm: v.id, base: baseline.id, source: "live", kpis: { conversion: { y: Math.log1p(a.conversion), se: 0.01 }, latency_ms: { y: Math.log1p(a.latency ?? 0), se: 0.01 }, error: { y: 0, se: 0.05 } } });
  }
  return { versions, observations };
}

function input(search: SearchPolicy, ev: ReturnType<typeof evidence>, seed = "s", count = 8): SearchInput {
  return {
    target: "checkout",
    parent: baseline,
    plan: target.mutations,
    schema: target.schema,
    functions: target.functions,
    validate: (values) => validateValues(target.schema, target.functions, values),
    idOf: versionIdOf,
    rng: seededRng(seed),
    count,
    generation: 2,
    now: 0,
    known: new Set(ev.versions.keys()),
    search,
    space: featureSpace(target.schema, target.functions),
    observations: ev.observations,
    versions: ev.versions,
    kpis: [target.policy.primary, ...target.policy.guardrails.map((g) => ({ kpi: g.kpi, direction: g.direction, tolerance: g.tolerance, drift: 0 }))],
  };
}

const share = (candidates: readonly Version[], check: (v: Version) => boolean) => candidates.filter(check).length / candidates.length;
const cached = (v: Version) => (v.values.cache as { enabled: boolean }).enabled;
const tiered = (v: Version) => (v.values.pricing as { function: string }).function === "pricing.tiered";

describe("candidates by strategy", () => {
  const seen = evidence([
    { path: "cache.enabled", value: true, conversion: 0.1 },
    { path: "pricing.function", value: "pricing.tiered", conversion: 0.06 },
    { path: "timeout_ms", value: 3000, conversion: -0.02 },
    { path: "retry.limit", value: 3, conversion: 0 },
  ]);

  it("mutation, and surrogate with no evidence yet, are today's seeded mutations", () => {
    const plain = proposeCandidates(input(POLICY, seen)).candidates.map((v) => v.id);
    expect(searchCandidates(input({ ...POLICY, strategy: "mutation" }, seen)).candidates.map((v) => v.id)).toEqual(plain);
    expect(searchCandidates(input(POLICY, { versions: seen.versions, observations: [] })).candidates.map((v) => v.id)).toEqual(plain);
  });

  it("surrogate proposes what the evidence favours, combining good changes, and keeps its exploration share", () => {
    const proposal = searchCandidates(input(POLICY, seen));
    expect(proposal.candidates).toHaveLength(8);
    const byModel = proposal.candidates.filter((v) => proposal.picks.find((p) => p.version === v.id)?.by !== "explore");
    expect(byModel).toHaveLength(6);
    expect(share(byModel, cached)).toBeGreaterThanOrEqual(0.8);
    // First, the two good changes together.
    expect(cached(byModel[0]!) && tiered(byModel[0]!)).toBe(true);
    // With few random mutations to rank, that is the recombination of the two arms that showed them.
    const small = searchCandidates(input({ ...POLICY, pool: 8 }, seen));
    expect(small.picks[0]?.by).toBe("recombination");
    expect(small.candidates[0]!.mutations.map((m) => m.path).sort()).toEqual(["cache.enabled", "pricing.function"]);
    const plain = proposeCandidates({ ...input(POLICY, seen), count: 64 }).candidates;
    expect(share(plain, cached)).toBeLessThan(0.5);
    expect(proposal.model?.liveRows).toBe(4);
  });

  it("keeps away from a change the evidence says breaks a guardrail, however good its primary", () => {
    const risky = evidence([
      { path: "cache.enabled", value: true, conversion: 0.1, latency: 0.3 },
      { path: "pricing.function", value: "pricing.tiered", conversion: 0.04 },
      { path: "retry.limit", value: 3, conversion: 0 },
    ]);
    const proposal = searchCandidates(input(POLICY, risky));
    const byModel = proposal.candidates.filter((v) => proposal.picks.find((p) => p.version === v.id)?.by !== "explore");
    expect(share(byModel, cached)).toBeLessThanOrEqual(0.34);
    // What the model expects most of: the change that helps without the latency.
    expect(tiered(byModel[0]!) && !cached(byModel[0]!)).toBe(true);
  });

  it("random search draws every planned setting afresh", () => {
    const { candidates, picks } = searchCandidates(input({ ...POLICY, strategy: "random" }, seen, "r", 30));
    expect(picks.every((p) => p.by === "random")).toBe(true);
    const changed = candidates.map((v) => v.mutations.length);
    expect(Math.min(...changed)).toBeGreaterThanOrEqual(2);
    expect(changed.reduce((a, b) => a + b, 0) / changed.length).toBeGreaterThan(4);
    const timeouts = candidates.map((v) => v.values.timeout_ms as number);
    expect(Math.max(...timeouts) - Math.min(...timeouts)).toBeGreaterThan(2500);
  });

  it("every strategy gives valid, distinct, never-tried candidates, the same for the same seed", () => {
    for (const strategy of ["surrogate", "mutation", "random"] as const) {
      const a = searchCandidates(input({ ...POLICY, strategy }, seen, "same"));
      const b = searchCandidates(input({ ...POLICY, strategy }, seen, "same"));
      expect(a.candidates.map((v) => v.id)).toEqual(b.candidates.map((v) => v.id));
      expect(new Set(a.candidates.map((v) => v.id)).size).toBe(a.candidates.length);
      for (const v of a.candidates) {
        expect(validateValues(target.schema, target.functions, v.values)).toEqual([]);
        expect(v.id).toBe(versionIdOf(v.values));
        expect(seen.versions.has(v.id)).toBe(false);
        expect(v.parent).toBe(baseline.id);
      }
    }
  });
});
