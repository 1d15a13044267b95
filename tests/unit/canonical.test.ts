import { describe, expect, it } from "vitest";
import { canonicalJson, versionIdOf } from "../../src/config/canonical.js";
import { checkoutTarget } from "../helpers.js";

describe("canonical JSON and version ids", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: "x" } })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
  });

  it("gives the same id whatever the key order", () => {
    expect(versionIdOf({ x: 1, y: { a: 2, b: 3 } })).toBe(versionIdOf({ y: { b: 3, a: 2 }, x: 1 }));
  });

  it("treats -0 as 0 and refuses non-finite numbers", () => {
    expect(canonicalJson({ a: -0 })).toBe('{"a":0}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/no form/);
  });

  it("hashes a fixed config to a fixed id", () => {
    // sha256 of '{"cache":{"enabled":true},"retry":{"limit":3}}', computed with Python's hashlib.
    expect(versionIdOf({ retry: { limit: 3 }, cache: { enabled: true } })).toBe("29dee6951f6123eae3727660f9f534cf44943552bb9f29bba336a14ec8ae58ef");
  });

  it("gives the shipped checkout baseline its known id", () => {
    expect(versionIdOf(checkoutTarget().baseline)).toBe("6f4ef242c8516b894b548ee6562406deea75b34c2b0990299848c7e726fb6ff2");
  });
});
