import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { TargetRuntime } from "../runtime/target-runtime.js";
import { segmentOf } from "../targeting/segments.js";
import { trueKpi } from "./response-model.js";
import type { SimulationReport } from "./runner.js";
import type { Scenario } from "./scenario.js";
/**
 * What per-segment baselines served at the end, and the best single version the run saw, by true
 * KPIs: the comparison that says whether serving each segment its own baseline paid.
 */
export function perSegment(scenario: Scenario, target: Target, optimizer: TargetRuntime, kpis: readonly string[], truthOf: (id: VersionId) => Record<string, number> | null, end: number): Pick<SimulationReport["baseline"], "segments" | "bestSingle"> {
  if (!target.policy.segmentBaselines) return {};
  const own = optimizer.segmentBaselines;
  const servedTo = (s: { attributes: Readonly<Record<string, string>> }): Version => own.get(segmentOf(target.policy.segments, s.attributes, { now: end, target: target.name })) ?? optimizer.baseline;
  const served = Object.fromEntries(scenario.traffic.segments.map((s) => [s.name, servedTo(s).id]));
  const model = scenario.model;
  const truth = model ? Object.fromEntries(kpis.filter((k) => model[k]).map((k) => [k, trueKpi(model[k]!, (s) => servedTo(s).values, scenario.traffic.segments)])) : null;
  const seen = new Set<VersionId>([optimizer.baseline, ...own.values()].map((v) => v.id));
  for (const g of optimizer.generations) for (const arm of g.arms) seen.add(arm);
  const primary = target.policy.primary;
  const score = (id: VersionId): number => {
    const t = truthOf(id)?.[primary.kpi];
    return t === undefined ? -Infinity : primary.direction === "increase" ? t : -t;
  };
  const best = [...seen].sort((a, b) => score(b) - score(a) || (a < b ? -1 : 1))[0] as VersionId;
  return { segments: { served, truth }, bestSingle: { version: best, truth: truthOf(best) } };
}
