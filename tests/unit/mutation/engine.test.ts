import { describe, expect, it } from "vitest";
import { canonicalJson, versionIdOf } from "../../../src/config/canonical.js";
import { validateValues } from "../../../src/config/schema.js";
import type { Version } from "../../../src/domain/version.js";
import { proposeCandidates, type ProposeInput } from "../../../src/mutation/engine.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { checkoutTarget } from "../../helpers.js";

const target = checkoutTarget();
const parent: Version = { id: versionIdOf(target.baseline), target: "checkout", values: target.baseline, parent: null, mutations: [], seed: null, generation: 0, createdAt: 0 };
const input = (seed: string, overrides: Partial<ProposeInput> = {}): ProposeInput => ({
  target: "checkout",
  parent,
  plan: target.mutations,
  schema: target.schema,
  functions: target.functions,
  validate: (values) => validateValues(target.schema, target.functions, values),
  idOf: versionIdOf,
  rng: seededRng(seed),
  count: 8,
  generation: 1,
  now: 0,
  ...overrides,
});

describe("mutation engine", () => {
  it("proposes byte-identical candidates for the same seed", () => {
    const a = proposeCandidates(input("7"));
    const b = proposeCandidates(input("7"));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.candidates).toHaveLength(8);
    expect(JSON.stringify(proposeCandidates(input("8")).candidates)).not.toBe(JSON.stringify(a.candidates));
  });

  it("every candidate is schema-valid, distinct, content-addressed and records its lineage", () => {
    const { candidates } = proposeCandidates(input("lineage", { count: 30 }));
    expect(new Set(candidates.map((c) => c.id)).size).toBe(candidates.length);
    for (const c of candidates) {
      expect(validateValues(target.schema, target.functions, c.values)).toEqual([]);
      expect(c.id).toBe(versionIdOf(c.values));
      expect(c.id).not.toBe(parent.id);
      expect(c.parent).toBe(parent.id);
      expect(c.seed).toMatch(/^lineage\/candidate:\d+$/);
      expect(c.mutations.length).toBeGreaterThan(0);
      for (const m of c.mutations) expect(canonicalJson(m.from)).not.toBe(canonicalJson(m.to));
    }
  });

  it("never proposes a known version again", () => {
    const first = proposeCandidates(input("dup", { count: 5 }));
    const known = new Set(first.candidates.map((c) => c.id));
    const again = proposeCandidates(input("dup", { count: 5, known }));
    for (const c of again.candidates) expect(known.has(c.id)).toBe(false);
  });

  it("resamples invalid candidates a bounded number of times, then drops them with the reason", () => {
    let calls = 0;
    const { candidates, dropped } = proposeCandidates(
      input("bad", {
        count: 2,
        maxAttempts: 5,
        validate: () => {
          calls++;
          return ["retry.limit: must be even"];
        },
      }),
    );
    expect(candidates).toEqual([]);
    expect(calls).toBe(10);
    expect(dropped).toEqual([
      { slot: 0, reason: "dropped after 5 attempts: invalid against the schema: retry.limit: must be even" },
      { slot: 1, reason: "dropped after 5 attempts: invalid against the schema: retry.limit: must be even" },
    ]);
  });

  it("uses every operator of the plan over many candidates", () => {
    const { candidates } = proposeCandidates(input("ops", { count: 60 }));
    const ops = new Set(candidates.flatMap((c) => c.mutations.map((m) => m.op)));
    expect(ops).toEqual(new Set(["swap", "nudge", "flip", "reweight", "substitute"]));
  });
});
