import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probabilityBBeatsA } from "../../src/stats/bayes.js";
import { ROOT, runCli, tempDir } from "../helpers.js";

const fixtures = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "stats.json"), "utf8"));
const rel = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);

async function analyze(request: unknown): Promise<any> {
  const result = await runCli(["analyze", "-"], ROOT, JSON.stringify(request));
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe("evolvd analyze", () => {
  it("answers compare with one entry per treatment, matching the statsmodels Welch reference", async () => {
    const c = fixtures.welch[0];
    const out = await analyze({ compare: { alpha: c.alpha, kind: "mean", arms: [{ name: "control", ...c.control }, { name: "b", ...c.treatment }, { name: "c", ...c.control }] } });
    expect(out.compare).toHaveLength(2);
    expect(out.compare[0].arm).toBe("b");
    expect(rel(out.compare[0].effect, c.absolute.effect)).toBe(true);
    expect(rel(out.compare[0].pValue, c.absolute.pValue)).toBe(true);
    expect(rel(out.compare[0].df, c.absolute.df)).toBe(true);
    expect(out.compare[1].effect).toBe(0);
    expect(Object.keys(out.compare[0]).sort()).toEqual(["arm", "chanceToWin", "ci", "df", "effect", "expectedLoss", "pValue", "se"]);
  });

  it("compares per-unit aggregates of a ratio metric with the delta method, as the numpy reference", async () => {
    const ratio = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "ratio.json"), "utf8")).cases[1];
    const out = await analyze({ compare: { kind: "ratio", relative: true, arms: [{ name: "control", ...ratio.control.moments }, { name: "b", ...ratio.treatment.moments }] } });
    expect(out.compare[0].arm).toBe("b");
    expect(rel(out.compare[0].effect, ratio.relative.effect)).toBe(true);
    expect(rel(out.compare[0].se, ratio.relative.se)).toBe(true);
    expect(rel(out.compare[0].controlRatio, ratio.control.mean)).toBe(true);
    const missing = await runCli(["analyze", "-"], ROOT, JSON.stringify({ compare: { kind: "ratio", arms: [{ n: 10, sum: 1, sumSquares: 1 }, ratio.treatment.moments] } }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/compare\.arms\[0\]\.den: is required \(a ratio arm gives n, sum, sumSquares, den, denSquares and cross\)/);
  });

  it("CUPED-adjusts ratio arms that give their returning units' covariate sums: the OLS treatment coefficient (statsmodels)", async () => {
    const c = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "cuped.json"), "utf8")).cases[0];
    const moments = (side: { x: number; outcomes: number[] }[]) => {
      const m = { n: 0, sum: 0, sumSquares: 0, den: 0, denSquares: 0, cross: 0, pre: 0, preSquares: 0, preCross: 0, preDen: 0 };
      for (const u of side) {
        const y = u.outcomes.reduce((a, b) => a + b, 0);
        const d = u.outcomes.length;
        Object.assign(m, { n: m.n + 1, sum: m.sum + y, sumSquares: m.sumSquares + y * y, den: m.den + d, denSquares: m.denSquares + d * d, cross: m.cross + y * d });
        Object.assign(m, { pre: m.pre + u.x, preSquares: m.preSquares + u.x * u.x, preCross: m.preCross + u.x * y, preDen: m.preDen + u.x * d });
      }
      return m;
    };
    const [a, b] = [moments(c.control), moments(c.treatment)];
    const plain = ({ pre, preSquares, preCross, preDen, ...rest }: typeof a) => (void [pre, preSquares, preCross, preDen], rest);
    const out = await analyze({ compare: { kind: "ratio", arms: [{ name: "control", ...plain(a), returning: a }, { name: "b", ...plain(b), returning: b }] } });
    expect(rel(out.compare[0].effect, c.ols.treatment)).toBe(true);
    expect(rel(out.compare[0].theta, c.ols.x)).toBe(true);
    const unadjusted = await analyze({ compare: { kind: "ratio", arms: [{ name: "control", ...plain(a) }, { name: "b", ...plain(b) }] } });
    expect(out.compare[0].se).toBeLessThan(unadjusted.compare[0].se / 2);
    const wrongKind = await runCli(["analyze", "-"], ROOT, JSON.stringify({ compare: { kind: "mean", arms: [{ ...plain(a), returning: a }, plain(b)] } }));
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toMatch(/compare\.arms\[0\]\.returning: only a ratio arm has covariate sums \(CUPED\)/);
  });

  it("gives the always-valid interval with sequential, and a relative effect with relative", async () => {
    const arms = [{ name: "control", n: 10000, successes: 1000 }, { name: "b", n: 10000, successes: 1100 }];
    const fixed = (await analyze({ compare: { kind: "proportion", relative: true, arms } })).compare[0];
    const sequential = (await analyze({ compare: { kind: "proportion", relative: true, sequential: { tuning: 5000 }, arms } })).compare[0];
    expect(fixed.effect).toBeCloseTo(0.1, 12);
    expect(sequential.effect).toBe(fixed.effect);
    expect(sequential.ci[1] - sequential.ci[0]).toBeGreaterThan(fixed.ci[1] - fixed.ci[0]);
    expect(sequential.pValue).toBeGreaterThan(fixed.pValue);
  });

  it("uses a normal prior when given, and mirrors chance to win for lower-is-better", async () => {
    const arms = [{ n: 1000, sum: 200000, sumSquares: 200000 * 200 + 999 * 2500 }, { n: 1000, sum: 195000, sumSquares: 195000 * 195 + 999 * 2500 }];
    const up = (await analyze({ compare: { direction: "increase", arms } })).compare[0];
    const down = (await analyze({ compare: { direction: "decrease", arms } })).compare[0];
    const shrunk = (await analyze({ compare: { direction: "decrease", prior: { mean: 0, variance: 1 }, arms } })).compare[0];
    expect(up.chanceToWin + down.chanceToWin).toBeCloseTo(1, 12);
    expect(down.chanceToWin).toBeGreaterThan(0.9);
    expect(shrunk.chanceToWin).toBeLessThan(down.chanceToWin);
  });

  it("answers srm, adjust and mannWhitney as the references do", async () => {
    const s = fixtures.srm[1];
    const a = fixtures.adjust[1];
    const m = fixtures.mannWhitney[1];
    const out = await analyze({ srm: { observed: s.observed, weights: s.weights }, adjust: { method: "bh", pValues: a.pValues }, mannWhitney: { x: m.x, y: m.y } });
    expect(rel(out.srm.chiSquare, s.chiSquare) && rel(out.srm.pValue, s.pValue)).toBe(true);
    out.adjust.adjusted.forEach((p: number, i: number) => expect(rel(p, a.bh[i])).toBe(true));
    expect(out.mannWhitney.u).toBe(m.u);
    expect(rel(out.mannWhitney.pValue, m.pValue)).toBe(true);
  });

  it("answers bandit with probabilities to be best within Monte-Carlo error of the exact value", async () => {
    const out = await analyze({ bandit: { arms: [{ successes: 10, trials: 100 }, { successes: 15, trials: 100 }], draws: 200000, seed: 3 } });
    const exact = probabilityBBeatsA(11, 91, 16, 86);
    expect(out.bandit.probabilityBest).toHaveLength(2);
    expect(Math.abs(out.bandit.probabilityBest[1] - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 200000));
    expect(out.bandit.probabilityBest[0] + out.bandit.probabilityBest[1]).toBeCloseTo(1, 12);
  });

  it("reads a file argument", async () => {
    const file = join(tempDir(), "req.json");
    writeFileSync(file, JSON.stringify({ adjust: { method: "holm", pValues: [0.01, 0.04, 0.03, 0.005] } }));
    const result = await runCli(["analyze", file]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).adjust.adjusted).toEqual(fixtures.adjust[0].holm.map((x: number) => expect.closeTo(x, 12)));
  });

  it.each([
    ["{", /stdin: not valid JSON/],
    ["[]", /the input must be a JSON object/],
    ['{"what":1}', /unknown top-level field "what" \(expected compare, srm, adjust, mannWhitney, bandit\)/],
    ['{"compare":{"arms":[{"n":10,"sum":1,"sumSquares":1}]}}', /compare\.arms: must list the control first/],
    ['{"compare":{"kind":"proportion","arms":[{"n":10,"successes":11},{"n":10,"successes":1}]}}', /compare\.arms\[0\]\.successes: must be an integer in \[0, n\]/],
    ['{"compare":{"alpha":2,"arms":[{"n":10,"sum":1,"sumSquares":1},{"n":10,"sum":1,"sumSquares":1}]}}', /compare\.alpha: must be a number in \(0, 1\)/],
    ['{"srm":{"observed":[1,2],"weights":[1]}}', /srm\.weights: must be an array of at least 2 numbers/],
    ['{"adjust":{"method":"bonferroni","pValues":[0.1,1.5]}}', /adjust\.method: must be one of "holm", "bh"[\s\S]*adjust\.pValues\[1\]: must be a number in \[0, 1\]/],
    ['{"bandit":{"arms":[{"successes":5,"trials":3},{"successes":1,"trials":3}],"draws":0}}', /bandit\.draws[\s\S]*bandit\.arms\[0\]\.successes/],
  ])("refuses %s naming the field, exit 1", async (input, message) => {
    const result = await runCli(["analyze"], ROOT, input);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
  });
});
