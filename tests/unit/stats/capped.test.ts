import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../../src/config/policy.js";
import { evidenceRules } from "../../../src/evidence/rules.js";
import { UnitTotals } from "../../../src/evidence/unit-totals.js";
import { LiveExperiment } from "../../../src/stream/live-experiment.js";
import { version } from "../../contract/store-contract.js";
import { ROOT } from "../../helpers.js";

// Made by scripts/make-capped-fixtures.py with numpy: the percentile of unit totals (inverted CDF) and winsorised moments.
interface Case {
  percentile: number;
  control: number[][];
  treatment: number[][];
  cap: number;
  controlMean: number;
  treatmentMean: number;
  controlVariance: number;
  treatmentVariance: number;
  uncappedControlMean: number;
}
const fixtures = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "capped.json"), "utf8")) as { cases: Case[] };
const RUNNING = { status: "running", canaryStep: 0 } as const;
const arms = [version(1), version(2)];
const rulesFor = (capPercentile: number) => {
  const { policy, problems } = parsePolicy({ primary: { kpi: "revenue", kind: "mean", direction: "increase", metric: "sum", capPercentile } });
  if (!policy) throw new Error(problems.join("; "));
  return evidenceRules(policy);
};
const meanVar = (xs: number[]): [number, number] => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)];
};

const close = (a: number, b: number, rel: number) => expect(Math.abs(a - b) / Math.max(Math.abs(b), 1e-12)).toBeLessThan(rel);

function streamed(c: Case, rules: ReturnType<typeof rulesFor>, sides: number[][][] = [c.control, c.treatment]): LiveExperiment {
  const experiment = new LiveExperiment({ id: "t/g1", target: "t", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...rules });
  experiment.served.startJournal();
  sides.forEach((side, arm) =>
    side.forEach((orders, u) => {
      const unit = `${arm}-${u}`;
      experiment.recordExposure(unit, arms[arm]!.id);
      for (const revenue of orders) experiment.recordOutcome(unit, arms[arm]!.id, { revenue });
    }),
  );
  return experiment;
}

describe("sum metrics capped at a percentile of unit totals", () => {
  for (const c of fixtures.cases) {
    it(`p${c.percentile * 100}: the cap within 1 % above numpy's percentile, moments exact for that cap and near numpy's winsorised ones`, () => {
      const cells = streamed(c, rulesFor(c.percentile)).snapshot(1, RUNNING).periods[0]!.kpis;
      // Each unit's total as the stream keeps it (single precision), into fresh totals: the cap used.
      const totals = [c.control, c.treatment].map((side) => side.map((o) => o.reduce((a, b) => Math.fround(a + b), 0)));
      const fresh = new UnitTotals();
      totals.forEach((side, arm) => side.forEach((y) => fresh.move("revenue", 1, arm, null, y)));
      const { cap } = fresh.capped("revenue", c.percentile)!;
      expect(cap).toBeGreaterThanOrEqual(c.cap);
      expect(cap / c.cap).toBeLessThan(1.0101);
      [0, 1].forEach((arm) => {
        const m = cells[arm]!.revenue!;
        const winsorised = totals[arm]!.map((y) => Math.min(y, cap));
        const [mean, variance] = meanVar(winsorised);
        expect(m.n).toBe(totals[arm]!.length);
        close(m.sum / m.n, mean, 1e-9);
        close((m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1), variance, 1e-9);
        close(mean, arm === 0 ? c.controlMean : c.treatmentMean, 3e-3);
        close(variance, arm === 0 ? c.controlVariance : c.treatmentVariance, 2e-2);
      });
      expect(cells[0]!.revenue!.sum / c.control.length).toBeLessThan(c.uncappedControlMean);
    });
  }

  it("a restart rebuilds the totals from the served rows; one huge unit moves the sum by about the cap, not its total", () => {
    const c = fixtures.cases[1]!;
    const rules = rulesFor(c.percentile);
    const experiment = streamed(c, rules, [c.control]);
    const before = experiment.snapshot(1, RUNNING).periods[0]!.kpis[0]!.revenue!;
    const restored = LiveExperiment.restore(JSON.parse(JSON.stringify(experiment.checkpoint(RUNNING))), { target: "t", arms, ...rules });
    restored.served.replay(experiment.served.drainJournal());
    restored.rebuildTotals();
    const again = restored.snapshot(2, RUNNING).periods[0]!.kpis[0]!.revenue!;
    expect(again.n).toBe(before.n);
    for (const field of ["sum", "sumSquares", "cross"] as const) close(again[field], before[field], 1e-9);
    experiment.recordExposure("whale", arms[0]!.id);
    experiment.recordOutcome("whale", arms[0]!.id, { revenue: 1e7 });
    const after = experiment.snapshot(3, RUNNING).periods[0]!.kpis[0]!.revenue!;
    expect(after.n).toBe(before.n + 1);
    // The whale counts as the cap; one more unit may also move the cap itself by a bin (1 %).
    expect(after.sum - before.sum).toBeLessThan(2 * c.cap);
  });
});
