import { describe, expect, it } from "vitest";
import { bucketOfKeyed, FINGERPRINT, murmur3, saltPrefix } from "../../../src/assign/hash.js";
import { MAX_REMEMBERED, UnitMemory } from "../../../src/sdk/unit-memory.js";

describe("a unit's fingerprint", () => {
  it("is MurmurHash3 of its key, whole, and of the same key from a second seed — ASCII or not", () => {
    const prefix = saltPrefix("checkout/g7");
    for (const unit of ["u", "user-1", "user-123456789", "ünïcödé-7", "", "😀"]) {
      const bucket = bucketOfKeyed(unit, prefix);
      expect((FINGERPRINT[0] as number) >>> 0).toBe(murmur3(`checkout/g7\u0000${unit}`));
      expect((FINGERPRINT[1] as number) >>> 0).toBe(murmur3(`checkout/g7\u0000${unit}`, 0x9747b28c));
      expect(bucket).toBe(((FINGERPRINT[0] as number) >>> 0) % 10_000);
    }
  });
});

describe("the SDK's memory of units", () => {
  const print = (i: number): [number, number] => {
    bucketOfKeyed(`unit-${i}`, saltPrefix("e"));
    return [FINGERPRINT[0] as number, FINGERPRINT[1] as number];
  };

  it("tells a new unit or a new arm from a repeat, and remembers each unit's version, past many doublings", () => {
    const memory = new UnitMemory("e");
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(memory.remember(...print(i), i % 3 === 0 ? "A" : "B")).toBe(true);
    expect(memory.size).toBe(n);
    for (let i = 0; i < n; i++) expect(memory.remember(...print(i), i % 3 === 0 ? "A" : "B")).toBe(false);
    // A unit moved to another arm (a reallocation) is news, once.
    expect(memory.remember(...print(7), "A")).toBe(true);
    expect(memory.remember(...print(7), "A")).toBe(false);
    expect(memory.versionOf(...print(7))).toBe("A");
    expect(memory.versionOf(...print(8))).toBe("B");
    expect(memory.versionOf(...print(n + 1))).toBeUndefined();
    expect(memory.size).toBe(n);
  });

  it("starts over beyond MAX_REMEMBERED units", () => {
    const memory = new UnitMemory("e");
    for (let i = 0; i < MAX_REMEMBERED; i++) memory.remember(i + 1, i * 7 + 3, "A");
    expect(memory.size).toBe(MAX_REMEMBERED);
    expect(memory.remember(-1, 1, "A")).toBe(true);
    expect(memory.size).toBe(1);
    expect(memory.versionOf(1, 3)).toBeUndefined();
  });
});
