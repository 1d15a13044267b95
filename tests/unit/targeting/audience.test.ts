import { describe, expect, it, vi } from "vitest";
import { compileRule, matches, type CompiledRule } from "../../../src/targeting/audience.js";

// 2026-03-06T14:30:00Z, a Friday.
const NOW = Date.UTC(2026, 2, 6, 14, 30);
const VARS = { now: NOW, target: "checkout" };

function compiled(rule: unknown): CompiledRule {
  const result = compileRule(rule, "policy.audience");
  expect(result.problems).toEqual([]);
  return result.rule as CompiledRule;
}
const problemsOf = (rule: unknown): string[] => compileRule(rule, "policy.audience").problems;
const admits = (rule: unknown, context: Record<string, unknown>, vars = VARS): boolean => matches(compiled(rule), context, vars);

describe("audience rules, as operators write them", () => {
  it("geography: JsonLogic's between form over latitude needs nothing new", () => {
    const rule = { and: [{ "<=": [47.2, { var: "lat" }, 55.1] }, { "<=": [5.8, { var: "lon" }, 15.1] }] };
    expect(admits(rule, { lat: 52.5, lon: 13.4 })).toBe(true); // Berlin
    expect(admits(rule, { lat: 48.85, lon: 2.35 })).toBe(false); // Paris
    expect(admits(rule, {})).toBe(false);
  });

  it("behaviour: units with three orders or more in 30 days", () => {
    const rule = { ">=": [{ var: "orders30d" }, 3] };
    expect(admits(rule, { orders30d: 3 })).toBe(true);
    expect(admits(rule, { orders30d: 2 })).toBe(false);
    expect(admits(rule, {})).toBe(false);
  });

  it("a country list with in", () => {
    const rule = { in: [{ var: "country" }, ["DE", "AT", "CH"]] };
    expect(admits(rule, { country: "AT" })).toBe(true);
    expect(admits(rule, { country: "FR" })).toBe(false);
  });

  it("time: $evolvd's hour and weekday in UTC, and its unix-seconds timestamp", () => {
    const officeHours = { and: [{ "<=": [9, { var: "$evolvd.hourUtc" }, 16] }, { in: [{ var: "$evolvd.weekdayUtc" }, [1, 2, 3, 4, 5]] }] };
    expect(admits(officeHours, {})).toBe(true);
    expect(admits(officeHours, {}, { ...VARS, now: Date.UTC(2026, 2, 6, 20) })).toBe(false);
    expect(admits(officeHours, {}, { ...VARS, now: Date.UTC(2026, 2, 7, 12) })).toBe(false); // Saturday
    expect(admits({ "==": [{ var: "$evolvd.timestamp" }, Math.floor(NOW / 1000)] }, {})).toBe(true);
    expect(admits({ ">=": [{ var: "$evolvd.timestamp" }, 1_767_225_600] }, {})).toBe(true); // after 2026-01-01
    expect(admits({ "==": [{ var: "$evolvd.target" }, "checkout"] }, {})).toBe(true);
    expect(admits({ "==": [{ var: "$evolvd.weekdayUtc" }, 4] }, {}, { ...VARS, now: 0 })).toBe(true); // 1970-01-01, a Thursday
    expect(admits({ "==": [{ var: "$evolvd.weekdayUtc" }, 3] }, {}, { ...VARS, now: -1 })).toBe(true); // the Wednesday before
  });

  it("starts_with and ends_with as flagd's: false on anything but two strings", () => {
    expect(admits({ starts_with: [{ var: "email" }, "admin@"] }, { email: "admin@example.com" })).toBe(true);
    expect(admits({ starts_with: [{ var: "email" }, "admin@"] }, { email: "ops@example.com" })).toBe(false);
    expect(admits({ ends_with: [{ var: "email" }, "@example.com"] }, { email: "ops@example.com" })).toBe(true);
    expect(admits({ starts_with: [{ var: "email" }, "1"] }, { email: 12 })).toBe(false);
    expect(admits({ "!": { starts_with: [{ var: "email" }, "admin@"] } }, {})).toBe(true);
  });

  it("sem_ver with flagd's operators", () => {
    const v = (version: unknown, op: string, than: string): boolean => admits({ sem_ver: [{ var: "version" }, op, than] }, { version });
    expect(v("1.2.0", ">=", "1.2.0")).toBe(true);
    expect(v("1.10.0", ">", "1.9.3")).toBe(true);
    expect(v("v2.0.0", "=", "2.0.0")).toBe(true);
    expect(v("2.0.0+build.7", "=", "2.0.0")).toBe(true);
    expect(v("2.0", "=", "2.0.0")).toBe(true);
    expect(v("1.2.3", "!=", "1.2.4")).toBe(true);
    expect(v("1.2.3", "<", "1.2.4")).toBe(true);
    expect(v("1.2.3", "<=", "1.2.2")).toBe(false);
    expect(v("1.0.0-alpha", "<", "1.0.0")).toBe(true);
    expect(v("1.0.0-alpha.2", "<", "1.0.0-alpha.10")).toBe(true);
    expect(v("1.0.0-alpha.beta", ">", "1.0.0-alpha.1")).toBe(true);
    expect(v("1.0.0-alpha", "<", "1.0.0-alpha.1")).toBe(true);
    expect(v("1.0.0-rc.1", ">", "1.0.0-beta.11")).toBe(true);
    expect(v("1.9.0", "^", "1.2.0")).toBe(true);
    expect(v("2.0.0", "^", "1.2.0")).toBe(false);
    expect(v("1.2.9", "~", "1.2.0")).toBe(true);
    expect(v("1.3.0", "~", "1.2.0")).toBe(false);
    expect(v("not a version", ">=", "1.0.0")).toBe(false);
    expect(v(3, ">=", "1.0.0")).toBe(false);
    expect(v(undefined, ">=", "1.0.0")).toBe(false);
  });

  it("true and false are rules; truthiness is JsonLogic's (an empty array is false)", () => {
    expect(admits(true, {})).toBe(true);
    expect(admits(false, {})).toBe(false);
    expect(admits({ var: "tags" }, { tags: [] })).toBe(false);
    expect(admits({ var: "tags" }, { tags: ["a"] })).toBe(true);
    expect(admits({ some: [{ var: "tags" }, { "==": [{ var: "" }, "vip"] }] }, { tags: ["x", "vip"] })).toBe(true);
  });
});

describe("evaluation is safe on the hot path", () => {
  it("a context's own $evolvd cannot shadow evolvd's", () => {
    const rule = { "==": [{ var: "$evolvd.target" }, "checkout"] };
    expect(admits(rule, { $evolvd: { target: "other" } })).toBe(true);
    expect(admits({ "==": [{ var: "$evolvd.target" }, "forged"] }, { $evolvd: { target: "forged" } })).toBe(false);
  });

  it("does not change the caller's context, even a frozen one with $evolvd", () => {
    const context = Object.freeze({ country: "DE", $evolvd: Object.freeze({ target: "x" }) });
    expect(admits({ "==": [{ var: "country" }, "DE"] }, context)).toBe(true);
    expect(admits({ "==": [{ var: "$evolvd.target" }, "checkout"] }, context)).toBe(true);
    expect(Object.keys(context)).toEqual(["country", "$evolvd"]);
  });

  it("never throws: a throwing attribute, a rule that fails, an unknown operator are false; no context reads as empty", () => {
    const hostile = Object.defineProperty({}, "country", {
      get() {
        throw new Error("boom");
      },
    });
    expect(matches(compiled({ "==": [{ var: "country" }, "DE"] }), hostile, VARS)).toBe(false);
    expect(matches(compiled({ "==": [{ var: "country" }, null] }), undefined as never, VARS)).toBe(true);
    expect(matches({ nope: [1] } as CompiledRule, {}, VARS)).toBe(false);
    // json-logic-js throws inside missing_some when its key list resolves to null.
    expect(matches(compiled({ missing_some: [1, { var: "keys" }] }), {}, VARS)).toBe(false);
  });

  it("log cannot write from the hot path even in a rule that skipped compileRule", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(matches({ log: "x" } as CompiledRule, {}, VARS)).toBe(false);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it("the compiled rule is a frozen copy: editing the file's object later changes nothing", () => {
    const raw = { in: [{ var: "country" }, ["DE"]] };
    const rule = compiled(raw);
    (raw.in[1] as string[]).push("FR");
    expect(matches(rule, { country: "FR" }, VARS)).toBe(false);
    expect(Object.isFrozen(rule)).toBe(true);
    expect(rule).toEqual({ in: [{ var: "country" }, ["DE"]] });
  });

  it("importing the module twice registers the operators once and keeps them working", async () => {
    vi.resetModules();
    const again = await import("../../../src/targeting/audience.js");
    expect(again.matches(compiled({ ends_with: ["abc", "c"] }), {}, VARS)).toBe(true);
  });
});

describe("compileRule refuses what it cannot evaluate safely", () => {
  it("a bare literal other than true/false, and objects with no or several operators", () => {
    expect(problemsOf(3)).toEqual(["policy.audience: must be a JsonLogic rule (an object with one operator) or true/false"]);
    expect(problemsOf("yes")).toHaveLength(1);
    expect(problemsOf(null)).toHaveLength(1);
    expect(problemsOf([{ var: "a" }])).toHaveLength(1);
    expect(problemsOf({})).toEqual(["policy.audience: an operation must have exactly one operator key, found 0"]);
    expect(problemsOf({ "==": [1, 1], "!=": [1, 2] })).toEqual(["policy.audience: an operation must have exactly one operator key, found 2 (==, !=)"]);
  });

  it("unknown operators, log and method, with the path inside the rule", () => {
    expect(problemsOf({ and: [true, { foo: [1] }] })).toEqual(['policy.audience.and[1]: unknown operator "foo"']);
    expect(problemsOf({ log: "x" })).toEqual(['policy.audience: unknown operator "log"']);
    expect(problemsOf({ or: [{ method: ["abc", "toUpperCase"] }] })).toEqual(['policy.audience.or[0]: unknown operator "method"']);
    expect(problemsOf({ "Math.max": [1, 2] })).toEqual(['policy.audience: unknown operator "Math.max"']);
  });

  it("var paths into prototypes, and unknown $evolvd variables", () => {
    expect(problemsOf({ var: "user.__proto__.x" })).toEqual(['policy.audience.var: path "user.__proto__.x" may not contain "__proto__"']);
    expect(problemsOf({ "==": [{ var: ["constructor", 1] }, 1] })).toEqual(['policy.audience.==[0].var[0]: path "constructor" may not contain "constructor"']);
    expect(problemsOf({ missing: ["a", "b.prototype"] })).toEqual(['policy.audience.missing[1]: path "b.prototype" may not contain "prototype"']);
    expect(problemsOf({ missing_some: [1, ["a", "__proto__"]] })).toEqual(['policy.audience.missing_some[1][1]: path "__proto__" may not contain "__proto__"']);
    expect(problemsOf({ var: "$evolvd.hour" })).toEqual(['policy.audience.var: unknown variable "$evolvd.hour"; $evolvd has timestamp, target, hourUtc, weekdayUtc']);
    expect(problemsOf({ var: ["a", 1, 2] })).toEqual(["policy.audience.var: takes a path and an optional default, found 3 arguments"]);
  });

  it("arguments of evolvd's own operators", () => {
    expect(problemsOf({ and: [true, { starts_with: [{ var: "email" }] }] })).toEqual(["policy.audience.and[1].starts_with: takes exactly 2 arguments (a value and a string), found 1"]);
    expect(problemsOf({ ends_with: "x" })).toEqual(["policy.audience.ends_with: takes exactly 2 arguments (a value and a string), found 1"]);
    expect(problemsOf({ sem_ver: [{ var: "v" }, ">="] })).toEqual(["policy.audience.sem_ver: takes exactly 3 arguments (a version, an operator, a version), found 2"]);
    expect(problemsOf({ sem_ver: [{ var: "v" }, "=>", "1.0.0"] })).toEqual(['policy.audience.sem_ver[1]: unknown sem_ver operator "=>"; expected one of = != < <= > >= ^ ~']);
    expect(problemsOf({ sem_ver: [{ var: "v" }, ">=", "1.0.x"] })).toEqual(['policy.audience.sem_ver[2]: "1.0.x" is not a semantic version (like "1.2.0")']);
    expect(problemsOf({ sem_ver: [{ var: "v" }, { var: "op" }, { var: "min" }] })).toEqual([]);
  });

  it("values JSON cannot hold", () => {
    expect(problemsOf({ "==": [{ var: "a" }, Number.NaN] })).toEqual(["policy.audience.==[1]: not a JSON value (NaN)"]);
    expect(problemsOf({ "==": [{ var: "a" }, undefined] })).toEqual(["policy.audience.==[1]: not a JSON value (undefined)"]);
    expect(problemsOf({ "==": [{ var: "a" }, () => 1] })).toEqual(["policy.audience.==[1]: not a JSON value (function)"]);
    expect(problemsOf({ "==": [{ var: "a" }, new Date(0)] })).toEqual(["policy.audience.==[1]: not a JSON value (Date)"]);
  });

  it("rules nested deeper than 32 levels or with more than 1,000 nodes", () => {
    let deep: unknown = true;
    for (let i = 0; i < 32; i++) deep = { "!": [deep] };
    expect(problemsOf(deep)).toEqual([`policy.audience${".![0]".repeat(32)}: the rule is nested deeper than 32 levels`]);
    let fits: unknown = true;
    for (let i = 0; i < 31; i++) fits = { "!": [fits] };
    expect(problemsOf(fits)).toEqual([]);
    expect(problemsOf({ in: [{ var: "country" }, Array.from({ length: 996 }, (_, i) => `C${i}`)] })).toEqual([]); // 1,000 nodes
    expect(problemsOf({ in: [{ var: "country" }, Array.from({ length: 997 }, (_, i) => `C${i}`)] })).toEqual(["policy.audience.in[1][996]: the rule has more than 1000 nodes"]);
  });
});
