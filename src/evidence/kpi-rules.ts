import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { Policy } from "../domain/target.js";

/** What a reported KPI accepts per outcome. */
export type ValueRule = "proportion" | "count" | "nonnegative" | "any";

/**
 * The KPIs a live experiment accumulates, and what each accepts. Only the KPIs the policy's
 * metrics read (primary, guardrails, a ratio's numerator and denominator, the few
 * `trackedKpis`) are kept: a stream naming a million distinct KPIs must not grow a million
 * accumulators. Other names are counted as ignored.
 */
export type KpiRules = ReadonlyMap<string, ValueRule>;

const STRICTNESS: Record<ValueRule, number> = { proportion: 3, count: 2, nonnegative: 1, any: 0 };

export function kpiRules(policy: Policy): KpiRules {
  const rules = new Map<string, ValueRule>();
  const set = (kpi: string, rule: ValueRule) => {
    const known = rules.get(kpi);
    if (known === undefined || STRICTNESS[rule] > STRICTNESS[known]) rules.set(kpi, rule);
  };
  for (const kpi of policy.trackedKpis) set(kpi, "any");
  for (const k of [policy.primary, ...policy.guardrails]) {
    const metric = k.metric ?? "per_outcome";
    if (metric === "ratio") {
      set(k.numerator as string, "any");
      set(k.denominator as string, "nonnegative");
    } else if (metric === "quantile" || k.capPercentile !== undefined) set(k.of ?? k.kpi, "nonnegative");
    else set(k.kpi, k.kind === "proportion" ? "proportion" : metric === "count" ? "count" : "any");
  }
  return rules;
}

/**
 * Checks an outcome's values against the rules before anything is counted: a proportion KPI
 * takes 0 or 1 per outcome, a count a non-negative integer, a ratio's denominator and the KPI
 * of a quantile metric a non-negative number. Returns how many of its KPIs are not the policy's (ignored), or the
 * problem that rejects the whole line.
 */
export function screenOutcome(metrics: Readonly<Record<string, number>>, rules: KpiRules): Result<{ readonly kept: number; readonly ignored: number }, Problem> {
  let kept = 0;
  let ignored = 0;
  for (const name in metrics) {
    const rule = rules.get(name);
    if (rule === undefined) {
      ignored++;
      continue;
    }
    const x = metrics[name] as number;
    if (rule === "proportion" && x !== 0 && x !== 1) return err(problem("invalid_kpi_value", `metrics.${name}: a proportion KPI takes 0 or 1 per outcome, got ${x}`));
    if (rule === "count" && !(Number.isInteger(x) && x >= 0)) return err(problem("invalid_kpi_value", `metrics.${name}: a count KPI takes a non-negative integer per outcome, got ${x}`));
    if (rule === "nonnegative" && x < 0) return err(problem("invalid_kpi_value", `metrics.${name}: a ratio's denominator, a quantile metric's KPI or a percentile-capped sum takes a non-negative number per outcome, got ${x}`));
    kept++;
  }
  return ok({ kept, ignored });
}
