import { describe, expect, it } from "vitest";
import { seededRng } from "../../src/random/seeded-rng.js";
import { chiSquareTest } from "../../src/stats/srm.js";
import { binomial } from "../../src/sim/binomial.js";

describe("binomial draws", () => {
  it("match the Binomial(1000, 0.1) distribution (chi-square goodness of fit)", () => {
    const rng = seededRng("binomial");
    const draws = 20000;
    const counts = new Map<number, number>();
    for (let i = 0; i < draws; i++) {
      const k = binomial(1000, 0.1, rng);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    // Cells 70..130 plus two tails; pmf computed independently in log space.
    const logPmf = (k: number) => {
      let s = 0;
      for (let i = 1; i <= k; i++) s += Math.log((1000 - k + i) / i);
      return s + k * Math.log(0.1) + (1000 - k) * Math.log(0.9);
    };
    const observed: number[] = [];
    const expected: number[] = [];
    let lowO = 0, lowE = 0, highO = 0, highE = 0;
    for (let k = 0; k <= 1000; k++) {
      const e = Math.exp(logPmf(k)) * draws;
      const o = counts.get(k) ?? 0;
      if (k < 70) { lowO += o; lowE += e; } else if (k > 130) { highO += o; highE += e; } else { observed.push(o); expected.push(e); }
    }
    const test = chiSquareTest([lowO, ...observed, highO], [lowE, ...expected, highE]);
    expect(test.pValue).toBeGreaterThan(0.001);
    const mean = [...counts].reduce((s, [k, c]) => s + k * c, 0) / draws;
    expect(Math.abs(mean - 100)).toBeLessThan(4 * Math.sqrt(90 / draws));
  });

  it("handles the edges", () => {
    const rng = seededRng("edges");
    expect(binomial(0, 0.5, rng)).toBe(0);
    expect(binomial(100, 0, rng)).toBe(0);
    expect(binomial(100, 1, rng)).toBe(100);
    const small = Array.from({ length: 1000 }, () => binomial(10, 0.5, rng));
    expect(Math.min(...small)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...small)).toBeLessThanOrEqual(10);
  });
});
