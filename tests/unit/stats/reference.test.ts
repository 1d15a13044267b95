import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benjaminiHochberg, holm } from "../../../src/stats/adjust.js";
import { bayesSummary, probabilityBBeatsA } from "../../../src/stats/bayes.js";
import { compare } from "../../../src/stats/compare.js";
import { mannWhitney } from "../../../src/stats/mann-whitney.js";
import { fromSuccesses } from "../../../src/stats/moments.js";
import { powerAt, sampleSizePerArm } from "../../../src/stats/power.js";
import { sequentialHalfWidth, sequentialPValue } from "../../../src/stats/sequential.js";
import { srmTest } from "../../../src/stats/srm.js";
import { quantileOf } from "../../../src/stats/winsorize.js";
import { ROOT } from "../../helpers.js";

// Expected values made by scripts/make-stats-fixtures.py with scipy and statsmodels.
const fixtures = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "stats.json"), "utf8"));
const REL = 1e-6;

/** |actual − expected| ≤ 1e-6·|expected| (with a tiny absolute floor for values at 0). */
function close(actual: number, expected: number, what: string): void {
  const tolerance = Math.max(REL * Math.abs(expected), 1e-12);
  if (!(Math.abs(actual - expected) <= tolerance)) throw new Error(`${what}: ${actual} differs from reference ${expected} by more than 1e-6 relative`);
}

/**
 * Intervals are compared by midpoint and half-width: a bound near zero is a difference of two
 * close numbers, and a relative test of it would measure cancellation, not the statistics.
 */
function closeInterval(actual: readonly [number, number], expected: [number, number]): void {
  close((actual[0] + actual[1]) / 2, (expected[0] + expected[1]) / 2, "interval midpoint");
  close((actual[1] - actual[0]) / 2, (expected[1] - expected[0]) / 2, "interval half-width");
}

describe("statistics against scipy/statsmodels references", () => {
  it.each(fixtures.welch as any[])("Welch t-test, absolute and delta-method relative: $name", (c) => {
    for (const relative of [false, true]) {
      const expected = relative ? c.relative : c.absolute;
      const r = compare(c.control, c.treatment, { kind: "mean", direction: "increase", relative, alpha: c.alpha })!;
      close(r.effect, expected.effect, "effect");
      close(r.se, expected.se, "se");
      close(r.pValue, expected.pValue, "pValue");
      closeInterval(r.ci, expected.ci);
      close(r.df, c.absolute.df, "df");
    }
  });

  it.each(fixtures.proportions as any[])("proportions as means with variance p(1−p): $name", (c) => {
    const control = fromSuccesses(c.control.n, c.control.successes);
    const treatment = fromSuccesses(c.treatment.n, c.treatment.successes);
    for (const relative of [false, true]) {
      const expected = relative ? c.relative : c.absolute;
      const r = compare(control, treatment, { kind: "proportion", direction: "increase", relative, alpha: c.alpha })!;
      close(r.effect, expected.effect, "effect");
      close(r.se, expected.se, "se");
      close(r.pValue, expected.pValue, "pValue");
      closeInterval(r.ci, expected.ci);
    }
  });

  it("normal-mixture confidence sequence: half-width and always-valid p-value", () => {
    for (const c of fixtures.sequential) {
      close(sequentialHalfWidth(c.se, c.n, c.alpha, c.tuning), c.halfWidth, "halfWidth");
      close(sequentialPValue(c.effect, c.se, c.n, c.alpha, c.tuning), c.pValue, "pValue");
    }
  });

  it("SRM chi-square", () => {
    for (const c of fixtures.srm) {
      const r = srmTest(c.observed, c.weights);
      close(r.chiSquare, c.chiSquare, "chiSquare");
      close(r.pValue, c.pValue, "pValue");
    }
  });

  it("Holm and Benjamini–Hochberg, in input order", () => {
    for (const c of fixtures.adjust) {
      holm(c.pValues).forEach((p, i) => close(p, c.holm[i], `holm[${i}]`));
      benjaminiHochberg(c.pValues).forEach((p, i) => close(p, c.bh[i], `bh[${i}]`));
    }
  });

  it("Bayesian chance to win and expected loss (numerical integration reference)", () => {
    for (const c of fixtures.bayes) {
      const r = bayesSummary(c.effect, c.se, c.direction, c.prior ?? undefined);
      close(r.chanceToWin, c.chanceToWin, "chanceToWin");
      close(r.expectedLoss, c.expectedLoss, "expectedLoss");
    }
  });

  it("exact P(B > A) for Beta posteriors (numerical integration reference)", () => {
    for (const c of fixtures.beta) close(probabilityBBeatsA(c.alphaA, c.betaA, c.alphaB, c.betaB), c.probabilityBBeatsA, "P(B>A)");
  });

  it("Mann–Whitney U with tie and continuity correction", () => {
    for (const c of fixtures.mannWhitney) {
      const r = mannWhitney(c.x, c.y);
      close(r.u, c.u, "U");
      close(r.pValue, c.pValue, "pValue");
    }
  });

  it("sample size and power", () => {
    for (const c of fixtures.power) {
      expect(sampleSizePerArm(c)).toBe(c.n);
      close(powerAt({ ...c, n: 1000 }), c.powerAt1000, "power");
    }
  });

  it("quantiles for winsorisation caps (numpy's linear method)", () => {
    for (const c of fixtures.quantiles) close(quantileOf(c.values, c.quantile), c.value, `q${c.quantile}`);
  });
});
