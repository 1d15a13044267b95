import { describe, expect, it } from "vitest";
import { armAt, bucketCounts, createTable, movedShare, reallocate, tableWeights } from "../../src/assign/bucket-table.js";
import { BUCKETS, bucketOf, bucketOfKeyed, murmur3, saltPrefix } from "../../src/assign/hash.js";
import { seededRng } from "../../src/random/seeded-rng.js";

describe("murmur3 (x86, 32-bit)", () => {
  it("matches the reference implementation's vectors", () => {
    // Vectors from the reference C implementation (SMHasher) and common ports.
    expect(murmur3("", 0)).toBe(0);
    expect(murmur3("", 1)).toBe(0x514e28b7);
    expect(murmur3("hello", 0)).toBe(0x248bfa47);
    expect(murmur3("The quick brown fox jumps over the lazy dog", 0)).toBe(0x2e4ff723);
    expect(murmur3("aaaa", 0x9747b28c)).toBe(0x5a97808a);
  });

  it("hashes non-ASCII ids over their UTF-8 bytes", () => {
    // Expected values from an independent Python implementation over str.encode("utf8").
    expect(murmur3("ü")).toBe(0x7840e6aa);
    expect(murmur3("日本 unit-7")).toBe(0x3e558300);
  });

  it("buckets units as murmur3 of salt, NUL and unit does, read in place or not (every length mod 4, ASCII and not)", () => {
    const rng = seededRng("joined-hash");
    const chars = "abcXYZ019-_:/ üé日";
    for (let n = 0; n < 5_000; n++) {
      const word = (len: number) => Array.from({ length: len }, () => chars[rng.int(n % 3 === 0 ? chars.length : 13)]).join("");
      const salt = word(rng.int(20));
      const unit = word(rng.int(40));
      expect(bucketOf(unit, salt)).toBe(murmur3(`${salt}\u0000${unit}`) % BUCKETS);
      expect(bucketOfKeyed(unit, saltPrefix(salt))).toBe(bucketOf(unit, salt));
    }
  });
});

describe("assignment", () => {
  const arms = ["a", "b", "c"];
  const weights = [0.5, 0.3, 0.2];

  it("is sticky: a unit gets the same arm every time", () => {
    const table = createTable(arms, weights);
    for (let i = 0; i < 1000; i++) {
      const unit = `user-${i}`;
      expect(armAt(table, bucketOf(unit, "exp-1"))).toBe(armAt(table, bucketOf(unit, "exp-1")));
    }
  });

  it("honours the weights within ±1% over 100k units", () => {
    const table = createTable(arms, weights);
    const counts = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const arm = armAt(table, bucketOf(`user-${i}`, "checkout/g1"));
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
    }
    arms.forEach((arm, i) => expect(Math.abs((counts.get(arm) ?? 0) / 100_000 - (weights[i] as number))).toBeLessThan(0.01));
  });

  it("salts buckets per experiment so units are not always first in line", () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) if (bucketOf(`u${i}`, "g1") < 1000 === bucketOf(`u${i}`, "g2") < 1000) same++;
    // Independent 10% splits agree on 0.9² + 0.1² = 82% of units.
    expect(same / 10_000).toBeGreaterThan(0.8);
    expect(same / 10_000).toBeLessThan(0.84);
  });

  it("bucket counts sum to the table size and follow the weights", () => {
    expect(bucketCounts([1, 1, 1])).toEqual([3334, 3333, 3333]);
    expect(bucketCounts([0.9, 0.1, 0])).toEqual([9000, 1000, 0]);
    expect(() => bucketCounts([0, 0])).toThrow(/positive sum/);
  });
});

describe("minimal-movement reallocation", () => {
  const tv = (p: number[], q: number[]): number => p.reduce((s, x, i) => s + Math.abs(x - (q[i] ?? 0)), 0) / 2;

  it("moves exactly the total-variation share of buckets (property, 500 random weight changes)", () => {
    const rng = seededRng("realloc");
    const arms = ["a", "b", "c", "d"];
    let table = createTable(arms, [1, 1, 1, 1]);
    const failures: string[] = [];
    for (let round = 0; round < 500; round++) {
      const raw: number[] = arms.map(() => (rng.next() < 0.2 ? 0 : rng.next()));
      if (!raw.some((x) => x > 0)) raw[0] = 1;
      const before = tableWeights(table);
      const next = reallocate(table, arms, raw);
      const after = tableWeights(next);
      const target = bucketCounts(raw).map((c) => c / BUCKETS);
      const moved = movedShare(table, next);
      if (after.some((w, i) => Math.abs(w - (target[i] as number)) > 1e-12)) failures.push(`round ${round}: weights ${after} ≠ ${target}`);
      if (Math.abs(moved - tv(before, after)) > 1e-12) failures.push(`round ${round}: moved ${moved} ≠ TV ${tv(before, after)}`);
      table = next;
    }
    expect(failures).toEqual([]);
    expect(table.revision).toBe(501);
  });

  it("ramping a canary from 10% to 30% keeps every unit already in the candidate", () => {
    const first = createTable(["base", "cand"], [0.9, 0.1]);
    const second = reallocate(first, ["base", "cand"], [0.7, 0.3]);
    for (let b = 0; b < BUCKETS; b++) if (armAt(first, b) === "cand") expect(armAt(second, b)).toBe("cand");
    expect(movedShare(first, second)).toBeCloseTo(0.2, 12);
  });

  it("adding an arm takes buckets only from arms above their new share", () => {
    const first = createTable(["a", "b"], [0.5, 0.5]);
    const second = reallocate(first, ["a", "b", "c"], [0.5, 0.25, 0.25]);
    for (let b = 0; b < BUCKETS; b++) if (armAt(first, b) === "a") expect(armAt(second, b)).toBe("a");
    expect(movedShare(first, second)).toBeCloseTo(0.25, 12);
  });
});
