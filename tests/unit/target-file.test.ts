import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateValues } from "../../src/config/schema.js";
import { parseTarget } from "../../src/config/target-file.js";
import { CHECKOUT, checkoutTarget } from "../helpers.js";

const base = (): Record<string, any> => JSON.parse(readFileSync(CHECKOUT, "utf8"));
const problemsOf = (doc: unknown): string[] => {
  const result = parseTarget(JSON.stringify(doc), "bad.json");
  if (result.ok) throw new Error("expected the file to be refused");
  expect(result.error.file).toBe("bad.json");
  return [...result.error.problems];
};

describe("target files", () => {
  it("loads the shipped example with all five operators", () => {
    const target = checkoutTarget();
    expect(target.name).toBe("checkout");
    expect(new Set(target.mutations.map((m) => m.op))).toEqual(new Set(["swap", "nudge", "flip", "reweight", "substitute"]));
    expect(target.policy.primary.kpi).toBe("conversion");
    expect(target.policy.guardrails.map((g) => g.kpi)).toEqual(["latency_ms", "error"]);
  });

  it("reads an audience and a schedule, and refuses bad ones naming the field, with every other problem", () => {
    const doc = base();
    doc.policy.audience = { in: [{ var: "country" }, ["DE", "AT"]] };
    doc.policy.schedule = { startAt: "2026-12-07T08:00:00+01:00", timeZone: "Europe/Berlin", windows: [{ days: ["mon", "fri"], from: "08:00", to: "20:00" }], maxDuration: "P3D" };
    const parsed = parseTarget(JSON.stringify(doc), "ok.json");
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.policy.audience).toEqual(doc.policy.audience);
    expect(parsed.value.policy.schedule).toMatchObject({ startAt: Date.parse("2026-12-07T07:00:00Z"), timeZone: "Europe/Berlin", maxDurationMs: 3 * 86_400_000 });
    expect(checkoutTarget().policy).toMatchObject({ audience: null, schedule: null });
    const bad = base();
    bad.policy.audience = { and: [{ "==": [1, 1] }, { foo: [1] }] };
    bad.policy.schedule = { startAt: "2026-12-07T08:00:00Z", endAt: "2026-12-01T08:00:00Z" };
    bad.policy.alpha = 2;
    const problems = problemsOf(bad);
    expect(problems).toContainEqual(expect.stringMatching(/^policy\.audience\.and\[1\].*foo/));
    expect(problems).toContain("policy.schedule.endAt: must be after startAt");
    expect(problems).toContainEqual(expect.stringMatching(/^policy\.alpha/));
  });

  it("reads per-segment baselines, and refuses them without segments or as a non-Boolean", () => {
    const doc = base();
    doc.policy.segments = [{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }];
    doc.policy.segmentBaselines = true;
    const parsed = parseTarget(JSON.stringify(doc), "ok.json");
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.policy.segmentBaselines).toBe(true);
    expect(checkoutTarget().policy.segmentBaselines).toBe(false);
    const alone = base();
    alone.policy.segmentBaselines = true;
    expect(problemsOf(alone)).toEqual(["policy.segmentBaselines: needs policy.segments (the segments that get their own baseline)"]);
    const wrong = base();
    wrong.policy.segmentBaselines = "yes";
    expect(problemsOf(wrong)).toContainEqual(expect.stringMatching(/^policy\.segmentBaselines/));
  });

  it("reads a file saved with a UTF-8 byte-order mark", () => {
    expect(parseTarget("\ufeff" + readFileSync(CHECKOUT, "utf8"), "bom.json").ok).toBe(true);
  });

  it("names the file when the text is not JSON", () => {
    const result = parseTarget("{ nope", "broken.json");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/^broken\.json: not valid JSON/);
  });

  it("refuses a baseline that breaks the schema, naming each path and rule", () => {
    const doc = base();
    doc.baseline.retry.limit = 11;
    doc.baseline.cache.enabled = "yes";
    doc.baseline.routing.weights = [0.5, 0.5, 0.5];
    doc.baseline.extra = 1;
    const problems = problemsOf(doc).join("\n");
    expect(problems).toMatch(/baseline\.retry\.limit: must be within \[0, 8\]/);
    expect(problems).toMatch(/baseline\.cache\.enabled: must be true or false/);
    expect(problems).toMatch(/baseline\.routing\.weights: weights must sum to 1/);
    expect(problems).toMatch(/extra.*not declared/);
  });

  it("refuses a missing setting", () => {
    const doc = base();
    delete doc.baseline.timeout_ms;
    expect(problemsOf(doc).join("\n")).toMatch(/timeout_ms: is missing/);
  });

  it("refuses an operator that does not fit its setting", () => {
    const doc = base();
    doc.mutations.push({ path: "cache.enabled", op: "nudge", maxStep: 1 });
    doc.mutations.push({ path: "nowhere", op: "flip" });
    const problems = problemsOf(doc).join("\n");
    expect(problems).toMatch(/mutations\[6\]: nudge needs a numeric setting, "cache\.enabled" is boolean/);
    expect(problems).toMatch(/mutations\[7\]\.path: "nowhere" is not a setting/);
  });

  it("never coerces policy strings into numbers", () => {
    const doc = base();
    doc.policy.maxUnitsPerArm = "40000abc";
    doc.policy.analysisEveryMs = "0x10";
    doc.policy.alpha = "0.05";
    doc.policy.canary.minUnitsPerStep = true;
    const problems = problemsOf(doc).join("\n");
    expect(problems).toMatch(/policy\.maxUnitsPerArm: must be an integer in \[1, 1000000000\]/);
    expect(problems).toMatch(/policy\.analysisEveryMs: must be an integer in \[1, 86400000\]/);
    expect(problems).toMatch(/policy\.alpha: must be a number in \(0, 0\.5\]/);
    expect(problems).toMatch(/policy\.canary\.minUnitsPerStep: must be an integer/);
  });

  it("refuses bad policy fields with their path", () => {
    const doc = base();
    doc.policy.alpha = 2;
    doc.policy.canary.steps = [0.5, 0.2];
    doc.policy.primary.direction = "up";
    doc.policy.surprise = true;
    const problems = problemsOf(doc).join("\n");
    expect(problems).toMatch(/policy\.alpha: must be a number in \(0, 0\.5\]/);
    expect(problems).toMatch(/policy\.canary\.steps\[1\]: steps must be ascending/);
    expect(problems).toMatch(/policy\.primary\.direction: must be one of "increase", "decrease"/);
    expect(problems).toMatch(/surprise/);
  });

  it("refuses unknown formats and a schema bound that is upside down", () => {
    const doc = base();
    doc.schema.timeout_ms.format = "float";
    doc.schema.retry.limit.min = 9;
    const problems = problemsOf(doc).join("\n");
    expect(problems).toMatch(/schema\.timeout_ms: unknown format "float"/);
    expect(problems).toMatch(/schema\.retry\.limit: "min" \(9\) is above "max" \(8\)/);
  });

  it("validates value sets strictly without coercion", () => {
    const t = checkoutTarget();
    expect(validateValues(t.schema, t.functions, t.baseline)).toEqual([]);
    const coerced = { ...t.baseline, timeout_ms: "2500" };
    expect(validateValues(t.schema, t.functions, coerced as never).join()).toMatch(/timeout_ms: must be a finite number/);
    const unregistered = { ...t.baseline, pricing: { function: "pricing.free" } };
    expect(validateValues(t.schema, t.functions, unregistered).join()).toMatch(/pricing\.function: must be a function registered in "pricing"/);
  });
});
