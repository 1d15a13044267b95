import { describe, expect, it } from "vitest";
import { epsilonGreedyShares, ucbShares } from "../../src/bandit/index-policies.js";
import { betaPosterior } from "../../src/bandit/posterior.js";
import { parsePolicy } from "../../src/config/policy.js";

describe("index allocation policies", () => {
  it("UCB serves the arm whose upper bound is highest: an uncertain arm before a well-measured slightly better one", () => {
    const measured = betaPosterior(1_100, 10_000); // 11 %, tight
    const uncertain = betaPosterior(10, 100); // 10 %, wide
    expect(ucbShares([measured, uncertain], 10_100)).toEqual([0, 1]);
    // Once both are measured alike, the better mean wins.
    expect(ucbShares([measured, betaPosterior(1_000, 10_000)], 20_000)).toEqual([1, 0]);
    // Normal posteriors (mean KPIs) the same way.
    expect(ucbShares([{ kind: "normal", mean: 10, sd: 0.1 }, { kind: "normal", mean: 9.9, sd: 1 }], 1000)).toEqual([0, 1]);
  });

  it("ε-greedy spreads ε equally and gives the rest to the best posterior mean", () => {
    const shares = epsilonGreedyShares([betaPosterior(100, 1000), betaPosterior(130, 1000), betaPosterior(120, 1000)], 0.3);
    expect(shares.map((s) => Math.round(s * 1000) / 1000)).toEqual([0.1, 0.8, 0.1]);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("are policy settings: allocation.mode ucb or epsilon-greedy, with allocation.epsilon", () => {
    expect(parsePolicy({ primary: { kpi: "c", kind: "proportion", direction: "increase" }, allocation: { mode: "epsilon-greedy", epsilon: 0.2 } }).policy?.allocation).toMatchObject({ mode: "epsilon-greedy", epsilon: 0.2 });
    expect(parsePolicy({ primary: { kpi: "c", kind: "proportion", direction: "increase" }, allocation: { mode: "ucb" } }).policy?.allocation.epsilon).toBe(0.1);
    expect(parsePolicy({ primary: { kpi: "c", kind: "proportion", direction: "increase" }, allocation: { epsilon: 0.9 } }).problems[0]).toMatch(/^policy\.allocation\.epsilon: /);
  });
});
