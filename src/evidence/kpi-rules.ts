import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { KpiKind, Policy } from "../domain/target.js";

/**
 * The KPIs a live experiment accumulates, and what each accepts. Only the policy's KPIs (the
 * primary, the guardrails and the few `trackedKpis`) are kept: a stream naming a million
 * distinct KPIs must not grow a million accumulators. Other names are counted as ignored.
 */
export type KpiRules = ReadonlyMap<string, KpiKind | "tracked">;

export function kpiRules(policy: Policy): KpiRules {
  const rules = new Map<string, KpiKind | "tracked">();
  for (const kpi of policy.trackedKpis) rules.set(kpi, "tracked");
  rules.set(policy.primary.kpi, policy.primary.kind);
  for (const g of policy.guardrails) rules.set(g.kpi, g.kind);
  return rules;
}

/**
 * Checks an outcome's values against the rules before anything is counted: a proportion KPI
 * takes 0 or 1 per outcome. Returns how many of its KPIs are not the policy's (ignored), or
 * the problem that rejects the whole line.
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
    kept++;
  }
  return ok({ kept, ignored });
}
