import type { AudienceRule } from "../domain/target.js";
import { matches, type EvaluationContext } from "../targeting/audience.js";

/**
 * Whether a unit with this evaluation context takes part in an experiment whose audience is
 * `audience` (null: every unit), at `now` for temporal rules. Never throws: a rule that fails on
 * a context (a missing attribute) leaves the unit out.
 */
export function admits(experiment: { readonly audience: AudienceRule | null; readonly target: string }, context: EvaluationContext, now: number): boolean {
  return experiment.audience === null || matches(experiment.audience, context, { now, target: experiment.target });
}
