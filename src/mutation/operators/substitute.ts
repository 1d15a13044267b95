import type { MutationSpec } from "../../domain/target.js";
import { pickOther, type Operator } from "../operator.js";

type SubstituteSpec = Extract<MutationSpec, { op: "substitute" }>;

/** `substitute`: another function (or pipeline stage) registered under the same registry. */
export const substitute: Operator<SubstituteSpec> = (current, { spec, functions, rng }) => {
  const options = functions[spec.registry] ?? [];
  // A stage registry may hold nothing yet (no SDK reported another version): no move.
  return options.some((o) => o !== current) ? pickOther(options, current, rng) : current;
};
