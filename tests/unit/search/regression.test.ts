import { describe, expect, it } from "vitest";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { cholesky, solveCholesky } from "../../../src/search/linalg.js";
import { fitRegression, type Row } from "../../../src/search/regression.js";

/** Rows of y = x·beta + noise, live only, with se known. */
function rows(beta: readonly number[], n: number, se: number, seed: string): Row[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => {
    const x = Float64Array.from(beta, () => rng.next() * 2 - 1);
    const y = x.reduce((s, v, i) => s + v * (beta[i] as number), 0) + se * rng.normal();
    return { x, y, se, screening: false };
  });
}

/**
 * The twin of the kernel-form fit: the weight-space posterior mean
 * (XᵀΣ⁻¹X + (s²D)⁻¹)⁻¹ XᵀΣ⁻¹y, solved directly in the p×p feature space.
 */
function primalMean(data: readonly Row[], relative: Float64Array, scale: number): Float64Array {
  const p = relative.length;
  const prior = Array.from(relative, (v) => v * scale * scale);
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (const r of data) {
    const w = 1 / (r.se * r.se + 0.003 * 0.003 + 1e-12);
    for (let i = 0; i < p; i++) {
      b[i] = (b[i] as number) + w * (r.x[i] as number) * r.y;
      for (let j = 0; j < p; j++) a[i * p + j] = (a[i * p + j] as number) + w * (r.x[i] as number) * (r.x[j] as number);
    }
  }
  for (let i = 0; i < p; i++) a[i * p + i] = (a[i * p + i] as number) + 1 / (prior[i] as number);
  return solveCholesky(cholesky(a, p) as Float64Array, p, b);
}

describe("the surrogate's regression (kernel form)", () => {
  const kinds = Float64Array.from([1, 1, 1, 0.25]);
  const beta = [0.08, -0.05, 0.03, 0.02];

  it("has the posterior mean of the weight-space solution, to 1e-9", () => {
    const data = rows(beta, 40, 0.02, "twin");
    const fit = fitRegression(data, kinds);
    expect(fit).not.toBeNull();
    const primal = primalMean(data, kinds, fit!.scale);
    for (let f = 0; f < kinds.length; f++) {
      const d = new Float64Array(kinds.length);
      d[f] = 1;
      expect(Math.abs(fit!.predict(d).mean - (primal[f] as number))).toBeLessThan(1e-9);
    }
  });

  it("recovers the effects from noisy arms and is less sure far from the data", () => {
    const fit = fitRegression(rows(beta, 200, 0.01, "recover"), kinds)!;
    beta.forEach((b, f) => {
      const d = new Float64Array(kinds.length);
      d[f] = 1;
      expect(Math.abs(fit.predict(d).mean - b)).toBeLessThan(0.01);
    });
    const near = fit.predict(Float64Array.from([0.5, 0, 0, 0])).sd;
    const far = fit.predict(Float64Array.from([40, 0, 0, 0])).sd;
    expect(far).toBeGreaterThan(near * 10);
  });

  it("picks its prior scale by the evidence: small effects give a small scale, large ones a large", () => {
    expect(fitRegression(rows([0.003, -0.002, 0.001, 0], 60, 0.002, "small"), kinds)!.scale).toBeLessThanOrEqual(0.03);
    expect(fitRegression(rows([0.4, -0.3, 0.2, 0.1], 60, 0.002, "large"), kinds)!.scale).toBeGreaterThanOrEqual(0.1);
  });

  it("draws functions whose spread matches the posterior: mean and sd over 2,000 draws", () => {
    const fit = fitRegression(rows(beta, 12, 0.03, "draws"), kinds)!;
    const d = Float64Array.from([1, 0.5, -0.2, 0.3]);
    const rng = seededRng("matheron");
    const values = Array.from({ length: 2000 }, () => fit.draw(rng).reduce((s, w, i) => s + w * (d[i] as number), 0));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    const { mean: m, sd: s } = fit.predict(d);
    expect(Math.abs(mean - m)).toBeLessThan((4 * s) / Math.sqrt(values.length));
    expect(sd / s).toBeGreaterThan(0.9);
    expect(sd / s).toBeLessThan(1.1);
  });

  it("learns the screening twin's bias instead of believing it: live rows outweigh biased screening", () => {
    const live = rows([0.05, 0, 0, 0], 15, 0.01, "live");
    // The twin says the first setting hurts as much as it really helps.
    const twin = rows([-0.05, 0, 0, 0], 60, 0.005, "twin-biased").map((r) => ({ ...r, screening: true }));
    const fit = fitRegression([...live, ...twin], kinds)!;
    expect(fit.predict(Float64Array.from([1, 0, 0, 0])).mean).toBeGreaterThan(0.02);
  });

  it("returns null without data", () => {
    expect(fitRegression([], kinds)).toBeNull();
  });
});
