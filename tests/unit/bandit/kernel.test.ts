import jStat from "jstat";
import { describe, expect, it } from "vitest";
import { loadBanditEngine, loadWasmEngine } from "../../../src/bandit/kernel.js";
import { betaPosterior, withFloor, type Posterior } from "../../../src/bandit/posterior.js";
import { buildBetaTable, QUANTILES, tableCdf } from "../../../src/bandit/tabulated.js";
import { twinEngine } from "../../../src/bandit/twin.js";
import { normalCdf } from "../../../src/stats/distributions.js";
import { probabilityBBeatsA } from "../../../src/stats/bayes.js";

// The kernel is built by `npm run build` (npm test builds first).
const wasm = loadWasmEngine();

/** Largest relative difference between two draw arrays. */
function maxRelativeDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1e-300, Math.abs(b[i] as number)));
  return worst;
}

const mcError = (p: number, draws: number) => 4 * Math.sqrt((p * (1 - p)) / draws) + 1e-4;

describe("WebAssembly kernel against its TypeScript twin", () => {
  it.each([
    [2, 3],
    [11, 91],
    [1, 1],
    [500, 4500],
    [0.5, 2],
    [1.5, 0.3],
  ])("same seed, same Beta(%s, %s) draws to rounding", (a, b) => {
    const w = wasm.betaDraws(a, b, 20000, 42).slice();
    const t = twinEngine.betaDraws(a, b, 20000, 42);
    expect(maxRelativeDiff(w, t)).toBeLessThan(1e-12);
    expect(maxRelativeDiff(wasm.betaDraws(a, b, 100, 43), w.subarray(0, 100))).toBeGreaterThan(0);
  });

  it("same seed, same normal draws, tabulated draws and allocations", () => {
    expect(maxRelativeDiff(wasm.normalDraws(50000, 7), twinEngine.normalDraws(50000, 7))).toBeLessThan(1e-12);
    expect(maxRelativeDiff(wasm.tabulatedDraws(16, 86, 50000, 7).slice(), twinEngine.tabulatedDraws(16, 86, 50000, 7))).toBeLessThan(1e-12);
    const beta: Posterior[] = [betaPosterior(10, 100), betaPosterior(15, 100), betaPosterior(13, 100)];
    const normal: Posterior[] = [{ kind: "normal", mean: 1, sd: 0.1 }, { kind: "normal", mean: 1.05, sd: 0.1 }];
    const small: Posterior[] = [{ kind: "beta", alpha: 0.5, beta: 3 }, { kind: "beta", alpha: 0.7, beta: 2 }];
    for (const arms of [beta, normal, small]) {
      expect(wasm.probabilityBest(arms, 20000, 5)).toEqual(twinEngine.probabilityBest(arms, 20000, 5));
      expect(wasm.topTwo(arms, 5000, 5, 0.5)).toEqual(twinEngine.topTwo(arms, 5000, 5, 0.5));
      expect(wasm.thompson(arms, 9)).toBe(twinEngine.thompson(arms, 9));
    }
  });
});

describe("draws follow their distributions", () => {
  it("Beta draws have the exact mean and variance (within 5 standard errors)", () => {
    for (const [a, b] of [[2, 3], [11, 91], [0.5, 2]] as const) {
      const draws = wasm.betaDraws(a, b, 200000, 3);
      const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
      const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
      const trueMean = a / (a + b);
      const trueVar = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expect(Math.abs(mean - trueMean)).toBeLessThan(5 * Math.sqrt(trueVar / draws.length));
      expect(Math.abs(variance / trueVar - 1)).toBeLessThan(0.02);
    }
  });

  it("tabulated posteriors: within 1e-4 of the exact Beta CDF inside the outermost bins, and one bin's mass (1/2048) anywhere", () => {
    for (const [a, b] of [[1, 1], [1, 500], [2, 3], [11, 91], [500, 4500], [3000, 27000]] as const) {
      const table = buildBetaTable(a, b);
      const mean = a / (a + b);
      const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
      let inner = 0;
      let anywhere = 0;
      for (let i = 0; i <= 400; i++) {
        const x = Math.min(1, Math.max(0, mean + ((i - 200) / 40) * sd));
        const exact = jStat.beta.cdf(x, a, b);
        const error = Math.abs(tableCdf(table, x) - exact);
        anywhere = Math.max(anywhere, error);
        if (exact > 1 / QUANTILES && exact < 1 - 1 / QUANTILES) inner = Math.max(inner, error);
      }
      expect(inner, `Beta(${a}, ${b}) inside`).toBeLessThan(1e-4);
      expect(anywhere, `Beta(${a}, ${b}) anywhere`).toBeLessThanOrEqual(1 / QUANTILES);
    }
  });
});

describe("probability to be best", () => {
  it("two Beta arms: within Monte-Carlo error of the exact closed form", () => {
    for (const [sa, na, sb, nb] of [[10, 100, 15, 100], [120, 1000, 100, 1000], [500, 4000, 540, 4000]] as const) {
      const exact = probabilityBBeatsA(sa + 1, na - sa + 1, sb + 1, nb - sb + 1);
      const p = wasm.probabilityBest([betaPosterior(sa, na), betaPosterior(sb, nb)], 200000, 11);
      expect(Math.abs((p[1] as number) - exact)).toBeLessThan(mcError(exact, 200000));
      expect((p[0] as number) + (p[1] as number)).toBeCloseTo(1, 12);
    }
  });

  it("three Beta arms: within Monte-Carlo error of numerical integration", () => {
    const arms = [[11, 91], [16, 86], [14, 88]] as const;
    // P(i best) = ∫ f_i(x) Π_{j≠i} F_j(x) dx by Simpson's rule on 20,000 intervals.
    const exact = arms.map(([a, b], i) => {
      const n = 20000;
      let sum = 0;
      for (let k = 0; k <= n; k++) {
        const x = k / n;
        const weight = k === 0 || k === n ? 1 : k % 2 ? 4 : 2;
        let value = jStat.beta.pdf(x, a, b);
        arms.forEach(([c, d], j) => {
          if (j !== i) value *= jStat.beta.cdf(x, c, d);
        });
        sum += weight * value;
      }
      return sum / (3 * n);
    });
    const p = wasm.probabilityBest(arms.map(([a, b]) => ({ kind: "beta" as const, alpha: a, beta: b })), 200000, 12);
    p.forEach((pi, i) => expect(Math.abs(pi - (exact[i] as number))).toBeLessThan(mcError(exact[i] as number, 200000)));
  });

  it("two normal arms: within Monte-Carlo error of Φ(Δ/√(σ₁²+σ₂²))", () => {
    const p = wasm.probabilityBest([{ kind: "normal", mean: 10, sd: 0.4 }, { kind: "normal", mean: 10.3, sd: 0.3 }], 200000, 13);
    const exact = normalCdf(0.3 / Math.sqrt(0.16 + 0.09));
    expect(Math.abs((p[1] as number) - exact)).toBeLessThan(mcError(exact, 200000));
  });

  it("a single Thompson draw picks each arm about as often as its probability to be best", () => {
    const arms = [betaPosterior(10, 100), betaPosterior(15, 100)];
    let second = 0;
    for (let seed = 0; seed < 4000; seed++) second += wasm.thompson(arms, seed);
    const exact = probabilityBBeatsA(11, 91, 16, 86);
    expect(Math.abs(second / 4000 - exact)).toBeLessThan(mcError(exact, 4000));
  });

  it("top-two sampling gives the runner-up more traffic than plain Thompson", () => {
    const arms = [betaPosterior(100, 1000), betaPosterior(130, 1000), betaPosterior(118, 1000)];
    const plain = wasm.probabilityBest(arms, 50000, 2);
    const topTwo = wasm.topTwo(arms, 50000, 2, 0.5);
    expect(topTwo.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(topTwo[2] as number).toBeGreaterThan(plain[2] as number);
    expect(topTwo[1] as number).toBeLessThan(plain[1] as number);
    expect(Math.abs((topTwo[1] as number) - 0.5)).toBeLessThan(0.1);
  });

  it("top-two shares match resampling until another arm leads (brute force, Monte-Carlo error)", () => {
    const arms = [betaPosterior(100, 1000), betaPosterior(115, 1000), betaPosterior(110, 1000)];
    const shares = wasm.topTwo(arms, 200000, 4, 0.5);
    const counts = [0, 0, 0];
    let seed = 1_000_000;
    const rounds = 6000;
    for (let r = 0; r < rounds; r++) {
      const leader = twinEngine.thompson(arms, seed++);
      let chosen = leader;
      if (twinEngine.thompson([{ kind: "beta", alpha: 1, beta: 1 }, { kind: "beta", alpha: 1, beta: 1 }], seed++) === 1) {
        do chosen = twinEngine.thompson(arms, seed++);
        while (chosen === leader);
      }
      counts[chosen] = (counts[chosen] as number) + 1;
    }
    shares.forEach((share, i) => expect(Math.abs((counts[i] as number) / rounds - share)).toBeLessThan(mcError(share, rounds)));
    expect(wasm.topTwo(arms, 20000, 4, 1)).toEqual(wasm.probabilityBest(arms, 20000, 4));
  });

  it("the kernel's floor is the twin's", () => {
    expect(wasm.floor([0.7, 0.2, 0.1, 0], 0.05)).toEqual(twinEngine.floor([0.7, 0.2, 0.1, 0], 0.05));
  });

  it("a floor keeps every arm in traffic", () => {
    const w = withFloor([1, 0, 0], 0.05);
    expect(w[0]).toBeCloseTo(0.9, 12);
    expect(w[1]).toBeCloseTo(0.05, 12);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe("loading", () => {
  it("falls back to the TypeScript twin, saying so, when the kernel cannot be loaded", () => {
    const warnings: string[] = [];
    const engine = loadBanditEngine(
      { debug() {}, info() {}, error() {}, warn: (_fields, message) => warnings.push(message) },
      new URL("file:///nonexistent/bandit.wasm"),
    );
    expect(engine.name).toBe("typescript-twin");
    expect(warnings.join()).toMatch(/bandit kernel not loaded: using the TypeScript twin/);
    expect(loadBanditEngine({ debug() {}, info() {}, error() {}, warn() {} }).name).toBe("wasm");
  });
});
