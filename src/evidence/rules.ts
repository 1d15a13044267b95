import type { AudienceRule, Policy, SegmentRule } from "../domain/target.js";
import { breakerRules, type BreakerRule } from "./breakers.js";
import { kpiRules, type KpiRules } from "./kpi-rules.js";
import { metricPlan, type MetricPlan } from "./unit-metrics.js";

/** What a live experiment's evidence needs of the policy: KPI value rules, metrics, breakers, audience. */
export interface EvidenceRules {
  readonly kpis: KpiRules;
  readonly metrics: MetricPlan;
  readonly breakers: readonly BreakerRule[];
  /** Who takes part (null: every unit); units outside are served the baseline and not counted. */
  readonly audience: AudienceRule | null;
  /** Segments every arm's statistics are broken down by (empty: none). */
  readonly segments: readonly SegmentRule[];
}

export function evidenceRules(policy: Policy): EvidenceRules {
  return { kpis: kpiRules(policy), metrics: metricPlan(policy), breakers: breakerRules(policy), audience: policy.audience, segments: policy.segments };
}
