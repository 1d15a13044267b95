import type { MutationSpec } from "../../domain/target.js";
import type { Operator } from "../operator.js";

type FlipSpec = Extract<MutationSpec, { op: "flip" }>;

/** `flip`: the other Boolean. */
export const flip: Operator<FlipSpec> = (current) => !current;
