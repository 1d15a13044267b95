import type { MutationSpec } from "../../domain/target.js";
import { tidy, type Operator } from "../operator.js";

type ReweightSpec = Extract<MutationSpec, { op: "reweight" }>;

const DECIMALS = 1e6;

/**
 * `reweight`: multiply each weight by a log-normal jitter exp(σ·z), renormalise, then lift every
 * weight to at least `floor`. Weights are rounded to 6 decimals, the rounding remainder going to
 * the largest weight, so the vector sums to 1 and prints the same on every machine.
 */
export const reweight: Operator<ReweightSpec> = (current, { spec, rng }) => {
  const weights = current as number[];
  // A zero weight would stay zero under multiplication; give it a small base to move from.
  const jittered = weights.map((w) => Math.max(w, 1e-3) * Math.exp(spec.sigma * rng.normal()));
  const total = jittered.reduce((a, b) => a + b, 0);
  const free = 1 - spec.floor * weights.length;
  const rounded = jittered.map((w) => Math.round((spec.floor + (free * w) / total) * DECIMALS) / DECIMALS);
  const largest = rounded.indexOf(Math.max(...rounded));
  const remainder = 1 - rounded.reduce((a, b) => a + b, 0);
  rounded[largest] = tidy((rounded[largest] as number) + remainder);
  return rounded;
};
