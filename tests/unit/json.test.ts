import { describe, expect, it } from "vitest";
import { checkJson, FILE_LIMITS, own, parseJson, quoted } from "../../src/domain/json.js";

describe("parseJson and checkJson", () => {
  it("refuse __proto__, constructor and prototype at any depth, naming the path", () => {
    expect(checkJson(JSON.parse('{"a":{"b":[{"__proto__":{"x":1}}]}}'), FILE_LIMITS)?.message).toBe('a.b[0].__proto__: the key "__proto__" is not allowed');
    expect(checkJson(JSON.parse('{"constructor":{"prototype":{}}}'), FILE_LIMITS)?.code).toBe("forbidden_key");
    expect(checkJson(JSON.parse('{"a":{"prototype":1}}'), FILE_LIMITS)?.message).toMatch(/^a\.prototype:/);
    expect(checkJson(JSON.parse('{"a":"__proto__","b":["constructor"]}'), FILE_LIMITS)).toBeNull();
  });

  it("bound depth and size without recursing (a value 100,000 deep is refused, not a stack overflow)", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const parsed = parseJson(deep, FILE_LIMITS);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatchObject({ code: "too_deep" });
    const objects = '{"a":'.repeat(40) + "1" + "}".repeat(40);
    expect(parseJson(objects, FILE_LIMITS)).toMatchObject({ ok: false, error: { code: "too_deep", message: expect.stringMatching(/^a\.a\.a.*nested more than 32 levels deep$/) } });
    expect(parseJson(JSON.stringify(new Array(300_000).fill(0)), FILE_LIMITS)).toMatchObject({ ok: false, error: { code: "too_large" } });
    expect(parseJson('{"a":[1,2,{"b":null}]}', FILE_LIMITS)).toEqual({ ok: true, value: { a: [1, 2, { b: null }] } });
  });

  it("never echo the input in a syntax error, and give line and column when known", () => {
    const secret = "root:x:0:0:root:/root:/bin/bash";
    const refused = parseJson(secret, FILE_LIMITS);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.message).not.toContain("root:x");
      expect(refused.error.message).toMatch(/^not valid JSON: Unexpected token/);
    }
    const comma = parseJson('{\n  "a": 1,\n}', FILE_LIMITS);
    if (!comma.ok) expect(comma.error.message).toMatch(/at line 3, column 1$/);
    else expect.unreachable();
  });

  it("quote values cut to a bounded length, and read only own keys", () => {
    expect(quoted("abc")).toBe('"abc"');
    expect(quoted("x".repeat(5_000_000))).toMatch(/^"x{59}… \(5000002 characters\)$/);
    const functions: Record<string, string[]> = { pricing: ["a"] };
    expect(own(functions, "pricing")).toEqual(["a"]);
    expect(own(functions, "constructor")).toBeUndefined();
    expect(own(functions, "toString")).toBeUndefined();
  });
});
