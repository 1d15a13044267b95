import type { MutationSpec } from "../../domain/target.js";
import { tidy, type Operator } from "../operator.js";

type NudgeSpec = Extract<MutationSpec, { op: "nudge" }>;

/**
 * `nudge`: add a random step of at most `maxStep`, quantised to `step` (counted from the lower
 * bound), kept within [min, max]. A step that would leave the bounds is mirrored back inside, so
 * values at a bound still move; the result always differs from the input when the range allows.
 */
export const nudge: Operator<NudgeSpec> = (current, { spec, leaf, rng }) => {
  if (leaf.kind !== "integer" && leaf.kind !== "number") return current;
  const value = current as number;
  const { min, max } = leaf;
  let next: number;
  if (spec.step > 0) {
    // Whole steps only: k in 1..maxSteps, random sign.
    const maxSteps = Math.max(1, Math.floor(spec.maxStep / spec.step + 1e-9));
    const k = 1 + rng.int(maxSteps);
    const sign = rng.next() < 0.5 ? -1 : 1;
    next = value + sign * k * spec.step;
    if (next < min || next > max) next = value - sign * k * spec.step;
    next = min + Math.round((next - min) / spec.step) * spec.step;
  } else {
    const delta = (rng.next() * 2 - 1) * spec.maxStep;
    next = value + delta;
    if (next < min || next > max) next = value - delta;
  }
  return tidy(Math.min(max, Math.max(min, next)));
};
