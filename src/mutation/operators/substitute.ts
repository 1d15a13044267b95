import type { MutationSpec } from "../../domain/target.js";
import { pickOther, type Operator } from "../operator.js";

type SubstituteSpec = Extract<MutationSpec, { op: "substitute" }>;

/** `substitute`: another function (or pipeline stage) registered under the same registry. */
export const substitute: Operator<SubstituteSpec> = (current, { spec, functions, rng }) =>
  pickOther(functions[spec.registry] ?? [], current, rng);
