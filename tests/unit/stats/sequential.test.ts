import { describe, expect, it } from "vitest";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { normalQuantile } from "../../../src/stats/distributions.js";
import { sequentialBound, sequentialHalfWidth, sequentialPValue } from "../../../src/stats/sequential.js";
import { expectedFromHistory, srmAlarm } from "../../../src/stats/srm.js";

describe("always-valid confidence sequence", () => {
  it("p ≤ alpha exactly when the interval excludes zero", () => {
    const alpha = 0.05;
    for (const [effect, se, n] of [[0.01, 0.005, 20000], [0.02, 0.005, 20000], [-0.05, 0.01, 5000], [0.001, 0.01, 100]] as const) {
      const excludes = Math.abs(effect) > sequentialHalfWidth(se, n, alpha, 10000);
      expect(sequentialPValue(effect, se, n, alpha, 10000) <= alpha).toBe(excludes);
    }
  });

  it("is wider than the fixed-horizon interval at every n (the price of peeking)", () => {
    for (const n of [100, 1000, 10000, 100000, 1e6]) {
      const se = 1 / Math.sqrt(n);
      expect(sequentialHalfWidth(se, n, 0.05, 10000)).toBeGreaterThan(normalQuantile(0.975) * se);
    }
  });

  it("one-sided bounds are the two-sided sequence at 2·alpha", () => {
    const half = sequentialHalfWidth(0.01, 5000, 0.1, 5000);
    expect(sequentialBound(0.03, 0.01, 5000, 0.05, 5000, "lower")).toBeCloseTo(0.03 - half, 15);
    expect(sequentialBound(0.03, 0.01, 5000, 0.05, 5000, "upper")).toBeCloseTo(0.03 + half, 15);
  });

  it("keeps the chance of ever excluding a true zero below alpha over 100 looks, where naive peeking does not", () => {
    // 2,000 seeded null paths of a standardised mean, looked at every 100 observations.
    const rng = seededRng("coverage");
    const paths = 2000;
    let sequentialErrors = 0;
    let naiveErrors = 0;
    for (let p = 0; p < paths; p++) {
      let sum = 0;
      let n = 0;
      let seqHit = false;
      let naiveHit = false;
      for (let look = 1; look <= 100; look++) {
        for (let i = 0; i < 100; i++) sum += rng.normal();
        n += 100;
        const mean = sum / n;
        const se = 1 / Math.sqrt(n);
        if (Math.abs(mean) > sequentialHalfWidth(se, n, 0.05, 5000)) seqHit = true;
        if (Math.abs(mean) > 1.959964 * se) naiveHit = true;
      }
      if (seqHit) sequentialErrors++;
      if (naiveHit) naiveErrors++;
    }
    // Monte-Carlo standard error at 5% over 2,000 paths is about 0.5%.
    expect(sequentialErrors / paths).toBeLessThan(0.05);
    expect(naiveErrors / paths).toBeGreaterThan(0.2);
  });
});

describe("sample ratio mismatch", () => {
  it("takes expected counts from the allocation history", () => {
    expect(expectedFromHistory([{ units: 1000, weights: [0.9, 0.1] }, { units: 2000, weights: [0.5, 0.5] }])).toEqual([1900, 1100]);
  });

  it("alarms at p < 0.001 only once every arm expects enough units", () => {
    expect(srmAlarm([60, 40], [50, 50]).alarm).toBe(false);
    expect(srmAlarm([5400, 4600], [5000, 5000]).alarm).toBe(true);
    expect(srmAlarm([5050, 4950], [5000, 5000]).alarm).toBe(false);
  });
});
