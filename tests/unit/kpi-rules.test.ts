import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/policy.js";
import { kpiRules, screenOutcome } from "../../src/evidence/kpi-rules.js";

const policy = (primary: object, guardrails: object[] = []) => parsePolicy({ primary, guardrails, maxUnitsPerArm: 50_000 });

describe("metric types in the policy", () => {
  it("default to per_outcome and keep today's files working", () => {
    expect(policy({ kpi: "conversion", kind: "proportion", direction: "increase" }).policy?.primary).toMatchObject({ kpi: "conversion", metric: "per_outcome" });
  });

  it("refuse what a metric type cannot have, naming the field", () => {
    expect(policy({ kpi: "rpo", kind: "mean", direction: "increase", metric: "ratio" }).problems).toEqual(["policy.primary: a ratio metric needs numerator and denominator (the KPIs outcomes report)"]);
    expect(policy({ kpi: "rpo", kind: "mean", direction: "increase", metric: "ratio", numerator: "x", denominator: "x" }).problems).toEqual(["policy.primary.denominator: must differ from the numerator"]);
    expect(policy({ kpi: "orders", kind: "mean", direction: "increase", metric: "count", cap: 5 }).problems).toEqual(["policy.primary.cap: only a sum metric is capped"]);
    expect(policy({ kpi: "orders", kind: "mean", direction: "increase", metric: "binomial" }).problems).toEqual(["policy.primary.kind: a binomial metric reports 0/1 values (kind proportion)"]);
    expect(policy({ kpi: "orders", kind: "mean", direction: "increase", numerator: "a" }).problems).toEqual(["policy.primary.numerator: only a ratio metric has one"]);
    expect(policy({ kpi: "orders", kind: "mean", direction: "increase", metric: "median" }).problems[0]).toMatch(/^policy\.primary\.metric: must be one of "per_outcome", "binomial", "count", "sum", "unit_mean", "ratio", "quantile"$/);
  });

  it("take a quantile for guardrails only, with its quantile, on non-negative values", () => {
    const p99 = { kpi: "latency_p99", kind: "mean", direction: "decrease", tolerance: 0.05, metric: "quantile", quantile: 0.99, of: "latency_ms" };
    expect(policy({ kpi: "conversion", kind: "proportion", direction: "increase" }, [p99]).policy?.guardrails[0]).toMatchObject({ metric: "quantile", quantile: 0.99, of: "latency_ms" });
    expect(policy({ kpi: "conversion", kind: "proportion", direction: "increase" }, [{ ...p99, quantile: undefined }]).problems).toEqual(["policy.guardrails[0].quantile: a quantile metric needs its quantile (0.99 for p99)"]);
    expect(policy({ kpi: "conversion", kind: "proportion", direction: "increase" }, [{ ...p99, kind: "proportion" }]).problems).toEqual(["policy.guardrails[0].kind: a quantile metric reads non-negative values (kind mean)"]);
    expect(policy({ kpi: "latency", kind: "mean", direction: "decrease", minLift: 0, metric: "quantile", quantile: 0.5 }).problems).toEqual(["policy.primary.metric: a quantile metric is for guardrails (p99 latency may not rise more than 5 %)"]);
    expect(policy({ kpi: "conversion", kind: "proportion", direction: "increase", quantile: 0.5 }).problems).toEqual(["policy.primary.quantile: only a quantile metric has one"]);
    const rules = kpiRules(policy({ kpi: "conversion", kind: "proportion", direction: "increase" }, [p99]).policy!);
    expect(screenOutcome({ latency_ms: -3 }, rules)).toEqual({ ok: false, error: { code: "invalid_kpi_value", message: "metrics.latency_ms: a ratio's denominator, a quantile metric's KPI or a percentile-capped sum takes a non-negative number per outcome, got -3" } });
    expect(screenOutcome({ latency_ms: 120, latency_p99: 1 }, rules)).toEqual({ ok: true, value: { kept: 1, ignored: 1 } });
  });
});

describe("values an outcome may report", () => {
  const { policy: p } = policy({ kpi: "rpo", kind: "mean", direction: "increase", metric: "ratio", numerator: "revenue", denominator: "orders" }, [
    { kpi: "error", kind: "proportion", direction: "decrease", tolerance: 0.1 },
    { kpi: "items", kind: "mean", direction: "decrease", tolerance: 0.1, metric: "count" },
  ]);
  const rules = kpiRules(p!);

  it("accumulates the KPIs the metrics read: a ratio's numerator and denominator, not its own name", () => {
    expect([...rules.keys()].sort()).toEqual(["error", "items", "orders", "revenue"]);
    expect(screenOutcome({ revenue: -5, orders: 1, rpo: 3 }, rules)).toEqual({ ok: true, value: { kept: 2, ignored: 1 } });
  });

  it.each([
    [{ error: 0.5 }, "metrics.error: a proportion KPI takes 0 or 1 per outcome, got 0.5"],
    [{ items: -1 }, "metrics.items: a count KPI takes a non-negative integer per outcome, got -1"],
    [{ items: 1.5 }, "metrics.items: a count KPI takes a non-negative integer per outcome, got 1.5"],
    [{ orders: -2 }, "metrics.orders: a ratio's denominator, a quantile metric's KPI or a percentile-capped sum takes a non-negative number per outcome, got -2"],
  ])("refuses %j with a code naming the KPI and the rule", (metrics, message) => {
    expect(screenOutcome(metrics, rules)).toEqual({ ok: false, error: { code: "invalid_kpi_value", message } });
  });
});
