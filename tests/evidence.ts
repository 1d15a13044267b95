import type { Policy } from "../src/domain/target.js";
import { evidenceRules } from "../src/evidence/rules.js";

/** The KPI rules and per-unit metrics of a policy whose KPIs are these, each a per-outcome rate (the default metric). */
export function rulesFor(kpis: readonly (readonly [string, "proportion" | "mean"])[]) {
  const [first, ...rest] = kpis as [readonly [string, "proportion" | "mean"], ...(readonly [string, "proportion" | "mean"])[]];
  const policy = {
    primary: { kpi: first[0], kind: first[1], direction: "increase", minLift: 0, metric: "per_outcome" },
    guardrails: rest.map(([kpi, kind]) => ({ kpi, kind, direction: "decrease", tolerance: 0.1, metric: "per_outcome" })),
    trackedKpis: [],
  } as unknown as Policy;
  const { kpis: rules, metrics } = evidenceRules(policy);
  return { kpis: rules, metrics };
}
