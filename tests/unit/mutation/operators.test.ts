import { describe, expect, it } from "vitest";
import type { MutationSpec, SchemaLeaf } from "../../../src/domain/target.js";
import { flip } from "../../../src/mutation/operators/flip.js";
import { nudge } from "../../../src/mutation/operators/nudge.js";
import { reweight } from "../../../src/mutation/operators/reweight.js";
import { substitute } from "../../../src/mutation/operators/substitute.js";
import { swap } from "../../../src/mutation/operators/swap.js";
import { seededRng } from "../../../src/random/seeded-rng.js";

const functions = { pricing: ["pricing.flat", "pricing.tiered", "pricing.surge"] };
const DRAWS = 5000;

function draws<T>(seed: string, f: (rng: ReturnType<typeof seededRng>) => T): T[] {
  const rng = seededRng(seed);
  return Array.from({ length: DRAWS }, () => f(rng));
}

describe("nudge", () => {
  const intLeaf: SchemaLeaf = { path: "retry.limit", kind: "integer", min: 0, max: 8, doc: "" };
  const intSpec = { path: "retry.limit", op: "nudge", probability: 1, maxStep: 2, step: 1 } as Extract<MutationSpec, { op: "nudge" }>;
  const numLeaf: SchemaLeaf = { path: "timeout_ms", kind: "number", min: 200, max: 5000, doc: "" };
  const numSpec = { path: "timeout_ms", op: "nudge", probability: 1, maxStep: 600, step: 50 } as Extract<MutationSpec, { op: "nudge" }>;

  it("keeps integers within bounds, moves by at most maxStep, and always changes the value", () => {
    for (const start of [0, 4, 8]) {
      const out = draws("n1", (rng) => nudge(start, { spec: intSpec, leaf: intLeaf, functions, rng }) as number);
      // Collect violations and assert once: an expect per draw is slow.
      const bad = out.filter((v) => !Number.isInteger(v) || v < 0 || v > 8 || Math.abs(v - start) < 1 || Math.abs(v - start) > 2);
      expect(bad).toEqual([]);
      // Both directions are reachable from the middle.
      if (start === 4) expect(new Set(out)).toEqual(new Set([2, 3, 5, 6]));
    }
  });

  it("quantises numbers to the step counted from the minimum and mirrors at the bounds", () => {
    for (const start of [200, 2500, 5000]) {
      const out = draws("n2", (rng) => nudge(start, { spec: numSpec, leaf: numLeaf, functions, rng }) as number);
      const bad = out.filter((v) => v < 200 || v > 5000 || (v - 200) % 50 !== 0 || v === start);
      expect(bad).toEqual([]);
    }
  });

  it("draws continuous steps when step is 0", () => {
    const spec = { ...numSpec, step: 0, maxStep: 10 };
    const out = draws("n3", (rng) => nudge(1000, { spec, leaf: numLeaf, functions, rng }) as number);
    expect(out.every((v) => Math.abs(v - 1000) <= 10)).toBe(true);
    expect(new Set(out).size).toBeGreaterThan(DRAWS * 0.9);
  });
});

describe("swap, flip, substitute", () => {
  it("swap picks another listed value, each about equally often", () => {
    const leaf: SchemaLeaf = { path: "cache.policy", kind: "enum", values: ["lru", "lfu", "ttl"], doc: "" };
    const spec = { path: "cache.policy", op: "swap", probability: 1, values: ["lru", "lfu", "ttl"] } as Extract<MutationSpec, { op: "swap" }>;
    const out = draws("s1", (rng) => swap("lru", { spec, leaf, functions, rng }));
    expect(out).not.toContain("lru");
    const lfu = out.filter((v) => v === "lfu").length / DRAWS;
    expect(lfu).toBeGreaterThan(0.45);
    expect(lfu).toBeLessThan(0.55);
  });

  it("flip negates", () => {
    const leaf: SchemaLeaf = { path: "cache.enabled", kind: "boolean", doc: "" };
    const spec = { path: "cache.enabled", op: "flip", probability: 1 } as Extract<MutationSpec, { op: "flip" }>;
    expect(flip(true, { spec, leaf, functions, rng: seededRng("f") })).toBe(false);
    expect(flip(false, { spec, leaf, functions, rng: seededRng("f") })).toBe(true);
  });

  it("substitute picks another function of the same registry", () => {
    const leaf: SchemaLeaf = { path: "pricing.function", kind: "function", registry: "pricing", doc: "" };
    const spec = { path: "pricing.function", op: "substitute", probability: 1, registry: "pricing" } as Extract<MutationSpec, { op: "substitute" }>;
    const out = new Set(draws("sub", (rng) => substitute("pricing.flat", { spec, leaf, functions, rng })));
    expect(out).toEqual(new Set(["pricing.tiered", "pricing.surge"]));
  });
});

describe("reweight", () => {
  const leaf: SchemaLeaf = { path: "routing.weights", kind: "weights", length: 3, doc: "" };
  const spec = { path: "routing.weights", op: "reweight", probability: 1, sigma: 0.5, floor: 0.05 } as Extract<MutationSpec, { op: "reweight" }>;

  it("renormalises to exactly 1, respects the floor, and keeps 6 decimals", () => {
    const out = draws("r1", (rng) => reweight([0.5, 0.3, 0.2], { spec, leaf, functions, rng }) as number[]);
    const bad = out.filter(
      (w) =>
        w.length !== 3 ||
        Math.abs(w.reduce((a, b) => a + b, 0) - 1) > 1e-9 ||
        w.some((x) => x < 0.05 - 1e-12 || Math.abs(Math.round(x * 1e6) / 1e6 - x) > 1e-12),
    );
    expect(bad).toEqual([]);
  });

  it("can move a zero weight", () => {
    const noFloor = { ...spec, floor: 0 };
    const out = draws("r2", (rng) => reweight([1, 0, 0], { spec: noFloor, leaf, functions, rng }) as number[]);
    expect(out.some((w) => (w[1] as number) > 0)).toBe(true);
  });
});

describe("determinism", () => {
  it("the same seed gives the same draws, another seed other draws", () => {
    const leaf: SchemaLeaf = { path: "timeout_ms", kind: "number", min: 200, max: 5000, doc: "" };
    const spec = { path: "timeout_ms", op: "nudge", probability: 1, maxStep: 600, step: 50 } as Extract<MutationSpec, { op: "nudge" }>;
    const run = (seed: string) => draws(seed, (rng) => nudge(2500, { spec, leaf, functions, rng }));
    expect(run("a")).toEqual(run("a"));
    expect(run("a")).not.toEqual(run("b"));
  });

  it("forks are independent of how much the parent stream was used", () => {
    const fresh = seededRng("x");
    const used = seededRng("x");
    for (let i = 0; i < 100; i++) used.next();
    expect(fresh.fork("g").next()).toBe(used.fork("g").next());
  });
});
