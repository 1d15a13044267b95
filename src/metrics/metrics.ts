import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { tally } from "./tally.js";

/**
 * evolvd's metrics, all prefixed `evolvd_`. Labels are bounded: target names, arm roles
 * (`baseline`, `candidate_1` …), versions only on info gauges, never a unit id.
 * Gauges that describe current state are filled at scrape time by `onCollect` callbacks.
 */
export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: "evolvd_process_" });
  const collectors: (() => void)[] = [];
  // A scrape must never take the process down: a collector that throws is counted, not rethrown.
  const collectErrors = new Counter({ name: "evolvd_metrics_collect_errors_total", help: "State collectors that failed during a scrape (the scrape still answers).", registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        // One collector refreshes every state gauge; it runs for the first gauge scraped.
        if (name !== "evolvd_arm_weight") return;
        for (const c of collectors) {
          try {
            c();
          } catch {
            collectErrors.inc();
          }
        }
      },
    });
  return {
    registry,
    onCollect(collector: () => void): void {
      collectors.push(collector);
    },
    // The event path counts through tallies (see tally.ts): plain numbers, handed over at scrape time.
    events: tally(registry, "evolvd_events_total", "Transaction stream lines by result (accepted, ignored, rejected) and reason.", ["target", "result", "reason"]),
    evaluations: tally(registry, "evolvd_evaluations_total", "OFREP evaluations (exposures) by arm role.", ["target", "arm"]),
    decisions: new Counter({ name: "evolvd_decisions_total", help: "Experiment decisions by kind (commit, rollback, inconclusive, killed, pull, ramp, promote, hold, pause, unpause) and cause.", labelNames: ["target", "kind", "cause"], registers: [registry] }),
    assignments: tally(registry, "evolvd_assignments_total", "Exposures accepted into a live experiment, by arm role.", ["target", "arm"]),
    outcomes: tally(registry, "evolvd_outcomes_total", "Outcomes attributed to an arm of a live experiment, by arm role.", ["target", "arm"]),
    kpisIgnored: tally(registry, "evolvd_kpis_ignored_total", "KPI values of accepted outcomes that are not the policy's (primary, guardrails, trackedKpis): counted, never accumulated.", ["target"]),
    dropsRejected: new Counter({ name: "evolvd_drops_rejected_total", help: "Drop-folder files refused, by reason.", labelNames: ["reason"], registers: [registry] }),
    analysisDuration: new Histogram({ name: "evolvd_analysis_duration_seconds", help: "Duration of one analysis tick.", labelNames: ["target"], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [registry] }),
    httpDuration: new Histogram({ name: "evolvd_http_request_duration_seconds", help: "HTTP request latency by route, method and status.", labelNames: ["route", "method", "status"], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    armWeight: gauge("evolvd_arm_weight", "Current allocation weight of each arm.", ["target", "arm"]),
    armUnits: gauge("evolvd_arm_units", "Distinct units served each arm in the live experiment.", ["target", "arm"]),
    experimentState: gauge("evolvd_experiment_state", "1 for the state of each target's current experiment.", ["target", "state"]),
    baselineInfo: gauge("evolvd_baseline_info", "1, labelled with each target's baseline version.", ["target", "version"]),
    segmentBaselineInfo: gauge("evolvd_segment_baseline_info", "1, labelled with the version a segment serves instead of the target's baseline (policy.segmentBaselines).", ["target", "segment", "version"]),
    historyWritable: gauge("evolvd_history_writable", "1 while a target's history store takes writes; 0 while writes fail (decisions stop, the last durable state is served).", ["target"]),
    killSwitch: gauge("evolvd_kill_switch", "1 while a target's kill switch holds it.", ["target"]),
    kpiEstimate: gauge("evolvd_kpi_estimate", "Relative effect of each candidate arm over the baseline, by KPI, at the last analysis.", ["target", "arm", "kpi"]),
    kpiLow: gauge("evolvd_kpi_interval_low", "Lower end of the always-valid interval of the relative effect.", ["target", "arm", "kpi"]),
    kpiHigh: gauge("evolvd_kpi_interval_high", "Upper end of the always-valid interval of the relative effect.", ["target", "arm", "kpi"]),
    segmentEstimate: gauge("evolvd_segment_kpi_estimate", "Relative effect of each candidate arm over the baseline within each segment (primary KPI), at the last analysis.", ["target", "segment", "arm", "kpi"]),
    segmentLow: gauge("evolvd_segment_kpi_interval_low", "Lower end of the segment's always-valid interval, at alpha shared out over the segments.", ["target", "segment", "arm", "kpi"]),
    segmentHigh: gauge("evolvd_segment_kpi_interval_high", "Upper end of the segment's always-valid interval, at alpha shared out over the segments.", ["target", "segment", "arm", "kpi"]),
    probabilityBest: gauge("evolvd_probability_best", "Probability each arm is best on the primary KPI, at the last analysis.", ["target", "arm"]),
    sharedStateUp: gauge("evolvd_shared_state_up", "Scale-out: 1 while this instance reaches Redis and its last flush and reload succeeded (labelled with the deployment's key prefix; absent when embedded).", ["prefix"]),
    guardrailDrift: gauge("evolvd_guardrail_drift", "Embedded: a guardrail's relative change from the target's anchor (the file's baseline) along the current baseline's commits, as measured.", ["target", "kpi"]),
    servedJournalBacklog: gauge("evolvd_served_journal_backlog_units", "Embedded: units whose served-journal rows changed and are not yet appended to disk (what a crash now would lose of who was served what).", ["target"]),
    statsUnflushed: gauge("evolvd_stats_unflushed", "Scale-out: statistics entries held back on this instance, not yet in Redis.", ["target"]),
    stageMissing: new Counter({ name: "evolvd_stage_missing_total", help: "Units assigned a stage version their SDK has not registered (they ran the baseline's version; docs/stages.md).", labelNames: ["target", "stage"], registers: [registry] }),
    sideEffects: new Counter({ name: "evolvd_side_effects_total", help: "Side effects stages logged, by target and kind (docs/stages.md).", labelNames: ["target", "kind"], registers: [registry] }),
    statsDropped: new Counter({ name: "evolvd_stats_dropped_total", help: "Scale-out: exposures dropped because the unflushed buffer was full while Redis was unreachable.", labelNames: ["target"], registers: [registry] }),
    srmPValue: gauge("evolvd_srm_p_value", "Sample-ratio-mismatch p-value of each live experiment.", ["target"]),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The arm label: never a version id (unbounded over time), its role in the experiment. */
export function armLabel(index: number): string {
  return index === 0 ? "baseline" : `candidate_${index}`;
}

/**
 * One child per label set, kept: prom-client hashes the label object on every `inc()`, which on
 * the event path (a few counters per line) costs more than the rest of the counting. Label
 * values are bounded (targets, arm roles, reason codes), and so is the cache.
 */
export function labelled<C>(metric: { labels(...values: string[]): C }): (...values: string[]) => C {
  const children = new Map<string, C>();
  return (...values) => {
    const key = values.join("\u0000");
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = metric.labels(...values)));
    return child;
  };
}
