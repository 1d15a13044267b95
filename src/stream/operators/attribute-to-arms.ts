import { map, type OperatorFunction } from "rxjs";
import { screenOutcome } from "../../evidence/kpi-rules.js";
import { admits } from "../audience.js";
import type { Processed, Routed } from "../processed.js";

/**
 * Exposures record which arm a unit was served (its assigned arm when the event names none,
 * for units of the experiment's audience only: others are ignored, `outside_audience`);
 * outcomes add their KPI values to the sufficient statistics of the arm the unit was served
 * (the policy's KPIs only; an outcome with none of them is ignored, a bad value rejected).
 *
 * ```
 * routed:    --exposure(u1)--outcome(u1, conversion=1)--outcome(u9: never exposed)--
 * processed: --accepted(arm 1)--accepted(arm 1)----------rejected(unit_not_exposed)--
 * ```
 */
export function attributeToArms(): OperatorFunction<Routed, Processed> {
  return map(attributeStep);
}

/** The operator's step for one line, for callers that process lines one at a time. */
export function attributeStep(routed: Routed): Processed {
  if (routed.kind !== "routed") return routed;
  const { event, experiment } = routed;
  if (event.type === "exposure") {
    // An exposure that names its arm records what was served (the audience was applied then);
    // one that does not asks for the unit's assignment, which only the audience's units get.
    if (event.arm === undefined && !admits(experiment, event.attributes ?? {}, event.ts)) return { kind: "ignored", event, reason: "outside_audience" };
    const result = experiment.recordExposure(event.unit, event.arm, event.attributes, event.ts);
    return result.ok ? { kind: "accepted", event, experiment, arm: result.value, ignoredKpis: 0 } : { kind: "rejected", problem: result.error };
  }
  // Values are checked before anything is counted: a bad line changes nothing.
  const screened = screenOutcome(event.metrics, experiment.kpis);
  if (!screened.ok) return { kind: "rejected", problem: screened.error };
  if (screened.value.kept === 0) return { kind: "ignored", event, reason: "no_policy_kpi" };
  // With an audience, only exposed units count: an outcome of a unit never exposed (outside the
  // audience, served the baseline) must not count for the baseline arm it may name.
  if (experiment.audience !== null && experiment.served.latestArm(event.unit) === undefined) return { kind: "ignored", event, reason: "outside_audience" };
  const result = experiment.recordOutcome(event.unit, event.arm, event.metrics, event.ts);
  return result.ok ? { kind: "accepted", event, experiment, arm: result.value, ignoredKpis: screened.value.ignored } : { kind: "rejected", problem: result.error };
}
