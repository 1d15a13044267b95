import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { predictor, trueKpi, type KpiModel } from "../../src/sim/response-model.js";
import { checkAgainstTarget, parseScenario, type Scenario } from "../../src/sim/scenario.js";
import { CHECKOUT, ROOT, checkoutTarget } from "../helpers.js";

/** An interaction c·(xa − ca)·(xb − cb) on top of ordinary terms; a Boolean counts as 0/1. */
const model: KpiModel = {
  distribution: "bernoulli",
  intercept: -2,
  segments: { mobile: -0.1 },
  terms: [
    { path: "retry.limit", linear: 0.05, center: 2 },
    { paths: ["retry.limit", "timeout_ms"], interaction: 1e-4, centers: [2, 2500] },
    { paths: ["cache.enabled", "timeout_ms"], interaction: -2e-4 },
  ],
};
const values = (limit: number, timeout: number, cache: boolean) => ({ retry: { limit }, timeout_ms: timeout, cache: { enabled: cache, policy: "lru" } });

describe("interaction terms of the response model", () => {
  it("adds c·(xa − ca)·(xb − cb) to the linear predictor", () => {
    // At both centers with the cache off, every interaction is 0: only the intercept is left.
    expect(predictor(model, values(2, 2500, false), "desktop")).toBeCloseTo(-2, 12);
    // limit 4, timeout 3000, cache off: 0.05·2 + 1e-4·2·500 + 0 = 0.1 + 0.1.
    expect(predictor(model, values(4, 3000, false), "desktop")).toBeCloseTo(-1.8, 12);
    // cache on (1) with timeout 1000: −2e-4·1·1000; limit 0: 0.05·(−2) + 1e-4·(−2)·(−1500) = −0.1 + 0.3.
    expect(predictor(model, values(0, 1000, true), "mobile")).toBeCloseTo(-2 - 0.1 - 0.1 + 0.3 - 0.2, 12);
    // Without centers both settings count from 0.
    const plain: KpiModel = { distribution: "normal", intercept: 1, terms: [{ paths: ["retry.limit", "timeout_ms"], interaction: 0.001 }] };
    expect(predictor(plain, values(3, 200, false), "all")).toBeCloseTo(1 + 0.001 * 3 * 200, 12);
    expect(trueKpi(plain, values(3, 200, false), [{ name: "all", share: 1, attributes: {} }])).toBeCloseTo(1.6, 12);
  });
});

const scenarioWith = (term: unknown): Record<string, any> => {
  const doc = JSON.parse(readFileSync(join(ROOT, "simulations", "checkout-aa.json"), "utf8"));
  doc.target = CHECKOUT;
  doc.model.conversion.terms = [term];
  return doc;
};
const parsed = (doc: unknown) => parseScenario(JSON.stringify(doc), "scenario.json");
const refusal = (doc: unknown): string => {
  const result = parsed(doc);
  if (result.ok) throw new Error("expected the scenario to be refused");
  return result.error.message;
};
const mismatch = (doc: unknown): string[] => {
  const result = parsed(doc);
  if (!result.ok) throw new Error(result.error.message);
  // Without a screeningModel of its own, screening uses the model: its problems are said twice.
  return checkAgainstTarget(result.value as Scenario, checkoutTarget()).filter((p) => p.startsWith("model."));
};

describe("scenario validation of interaction terms", () => {
  it("accepts an interaction of a Boolean and a numeric setting", () => {
    expect(mismatch(scenarioWith({ paths: ["cache.enabled", "timeout_ms"], interaction: 0.1, centers: [0, 1500] }))).toEqual([]);
  });

  it("refuses the same setting twice, a missing or single path, and a mixed term, naming the field", () => {
    expect(refusal(scenarioWith({ paths: ["timeout_ms", "timeout_ms"], interaction: 0.1 }))).toMatch(/model\.conversion\.terms\[0\]\.paths: must name two distinct settings/);
    expect(refusal(scenarioWith({ path: "timeout_ms", interaction: 0.1 }))).toMatch(/model\.conversion\.terms\[0\]\.paths: an interaction needs the two settings/);
    expect(refusal(scenarioWith({ paths: ["timeout_ms"], interaction: 0.1 }))).toMatch(/model\.conversion\.terms\[0\]\.paths: must name two settings/);
    expect(refusal(scenarioWith({ paths: ["timeout_ms", "retry.limit"], interaction: 0.1, linear: 1 }))).toMatch(/model\.conversion\.terms\[0\]: needs exactly one of linear, quadratic, ifTrue, levels, dot, interaction/);
    expect(refusal(scenarioWith({ paths: ["timeout_ms", "retry.limit"], linear: 1 }))).toMatch(/model\.conversion\.terms\[0\]\.paths: only an interaction term has two settings/);
    expect(refusal(scenarioWith({ paths: ["timeout_ms", "retry.limit"], interaction: 0.1, center: 3 }))).toMatch(/model\.conversion\.terms\[0\]\.center: only linear and quadratic terms have a center/);
    expect(refusal(scenarioWith({ linear: 1 }))).toMatch(/model\.conversion\.terms\[0\]\.path: must name a setting/);
  });

  it("refuses settings the target lacks or that are not Boolean or numeric, naming the field", () => {
    expect(mismatch(scenarioWith({ paths: ["timeout_ms", "retry.budget"], interaction: 0.1 }))).toEqual(['model.conversion.terms[0].paths[1]: "retry.budget" is not a setting of the target']);
    expect(mismatch(scenarioWith({ paths: ["cache.policy", "timeout_ms"], interaction: 0.1 }))).toEqual(['model.conversion.terms[0].paths[0]: an interaction needs Boolean or numeric settings, "cache.policy" is enum']);
    expect(mismatch(scenarioWith({ paths: ["routing.weights", "pricing.function"], interaction: 0.1 }))).toEqual([
      'model.conversion.terms[0].paths[0]: an interaction needs Boolean or numeric settings, "routing.weights" is weights',
      'model.conversion.terms[0].paths[1]: an interaction needs Boolean or numeric settings, "pricing.function" is function',
    ]);
  });
});
