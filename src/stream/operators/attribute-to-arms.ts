import { map, type OperatorFunction } from "rxjs";
import type { Processed, Routed } from "../processed.js";

/**
 * Exposures record which arm a unit was served (its assigned arm when the event names none);
 * outcomes add their KPI values to the sufficient statistics of the arm the unit was served.
 *
 * ```
 * routed:    --exposure(u1)--outcome(u1, conversion=1)--outcome(u9: never exposed)--
 * processed: --accepted(arm 1)--accepted(arm 1)----------rejected(unit_not_exposed)--
 * ```
 */
export function attributeToArms(): OperatorFunction<Routed, Processed> {
  return map((routed): Processed => {
    if (routed.kind !== "routed") return routed;
    const { event, experiment } = routed;
    const result =
      event.type === "exposure" ? experiment.recordExposure(event.unit, event.arm) : experiment.recordOutcome(event.unit, event.arm, event.metrics, event.ts);
    return result.ok ? { kind: "accepted", event, experiment, arm: result.value } : { kind: "rejected", problem: result.error };
  });
}
