import { armLabel, type Metrics } from "../metrics/metrics.js";
import type { Target } from "../domain/target.js";
import type { ModeGauges, TargetControl } from "../runtime/ports.js";

/** State gauges, refreshed at scrape time; stale label sets are dropped by the reset. */
export function collectState(metrics: Metrics, targets: readonly { readonly target: Target; readonly runtime: TargetControl }[], mode: ModeGauges): void {
  for (const g of [metrics.armWeight, metrics.armUnits, metrics.experimentState, metrics.baselineInfo, metrics.segmentBaselineInfo, metrics.killSwitch, metrics.historyWritable, metrics.kpiEstimate, metrics.kpiLow, metrics.kpiHigh, metrics.segmentEstimate, metrics.segmentLow, metrics.segmentHigh, metrics.srmPValue, metrics.probabilityBest, metrics.statsUnflushed, metrics.servedJournalBacklog, metrics.guardrailDrift]) g.reset();
  if (mode.sharedState) metrics.sharedStateUp.set({ prefix: mode.sharedState.prefix }, mode.sharedState.up ? 1 : 0);
  for (const [target, n] of mode.unflushed) metrics.statsUnflushed.set({ target }, n);
  for (const { target, runtime } of targets) {
    const name = target.name;
    metrics.baselineInfo.set({ target: name, version: runtime.baseline.id }, 1);
    for (const [segment, v] of runtime.segmentBaselines) metrics.segmentBaselineInfo.set({ target: name, segment, version: v.id }, 1);
    metrics.killSwitch.set({ target: name }, runtime.killed ? 1 : 0);
    metrics.historyWritable.set({ target: name }, runtime.storeError ? 0 : 1);
    for (const [kpi, change] of Object.entries(runtime.guardrailDrift ?? {})) metrics.guardrailDrift.set({ target: name, kpi }, change);
    const experiment = runtime.experiment;
    const record = runtime.generations[runtime.generations.length - 1];
    metrics.experimentState.set({ target: name, state: experiment ? experiment.status : (record?.status ?? "none") }, 1);
    if (!experiment) continue;
    experiment.weights.forEach((w, i) => metrics.armWeight.set({ target: name, arm: armLabel(i) }, w));
    if (experiment.journalBacklog) metrics.servedJournalBacklog.set({ target: name }, experiment.journalBacklog());
    record?.lastSnapshot?.units.forEach((u, i) => metrics.armUnits.set({ target: name, arm: armLabel(i) }, u));
    record?.lastProbabilityBest?.forEach((p, i) => metrics.probabilityBest.set({ target: name, arm: armLabel(i) }, p));
    for (const { segment, analysis } of record?.lastSegments ?? [])
      for (const arm of analysis.arms) {
        const c = arm.primary.comparison;
        if (!c) continue;
        const labels = { target: name, segment, arm: armLabel(arm.index), kpi: arm.primary.kpi };
        metrics.segmentEstimate.set(labels, c.effect);
        metrics.segmentLow.set(labels, c.ci[0]);
        metrics.segmentHigh.set(labels, c.ci[1]);
      }
    const analysis = record?.lastAnalysis;
    if (!analysis) continue;
    metrics.srmPValue.set({ target: name }, analysis.srm.pValue);
    for (const arm of analysis.arms) {
      const readings = [{ kpi: arm.primary.kpi, comparison: arm.primary.comparison }, ...arm.guardrails.map((g) => ({ kpi: g.kpi, comparison: g.comparison }))];
      for (const { kpi, comparison } of readings) {
        if (!comparison) continue;
        const labels = { target: name, arm: armLabel(arm.index), kpi };
        metrics.kpiEstimate.set(labels, comparison.effect);
        metrics.kpiLow.set(labels, comparison.ci[0]);
        metrics.kpiHigh.set(labels, comparison.ci[1]);
      }
    }
  }
}
