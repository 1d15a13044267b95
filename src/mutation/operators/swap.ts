import type { MutationSpec } from "../../domain/target.js";
import { pickOther, type Operator } from "../operator.js";

type SwapSpec = Extract<MutationSpec, { op: "swap" }>;

/** `swap`: another value from the spec's list, uniformly. */
export const swap: Operator<SwapSpec> = (current, { spec, rng }) => pickOther(spec.values, current, rng);
