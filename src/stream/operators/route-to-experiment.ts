import { map, type OperatorFunction } from "rxjs";
import type { StreamEvent } from "../../domain/event.js";
import { problem, type Problem, type Result } from "../../domain/result.js";
import type { Routed } from "../processed.js";
import type { ExperimentRouter } from "../router.js";

/**
 * Finds the live experiment of each valid event's target, read through the router at the
 * moment the event passes (so a kill applies to the very next event).
 *
 * ```
 * validated: --ok(e1)--ok(e2: no live experiment)--err(p)--
 * routed:    --routed(e1, exp)--ignored(e2)----------rejected(p)--
 * ```
 */
export function routeToExperiment(router: ExperimentRouter): OperatorFunction<Result<StreamEvent, Problem>, Routed> {
  return map(routeStep(router));
}

/** The operator's step for one line, for callers that process lines one at a time. */
export function routeStep(router: ExperimentRouter): (result: Result<StreamEvent, Problem>) => Routed {
  return (result) => {
    if (!result.ok) return { kind: "rejected", problem: result.error };
    const event = result.value;
    if (!router.baseline(event.target)) return { kind: "rejected", problem: problem("unknown_target", `target: no target named ${JSON.stringify(event.target)}`) };
    const experiment = router.experiment(event.target);
    if (!experiment) return { kind: "ignored", event, reason: "no_live_experiment" };
    return { kind: "routed", event, experiment };
  };
}
