import type { MutationSpec } from "../../domain/target.js";
import type { Operator } from "../operator.js";
import { flip } from "./flip.js";
import { nudge } from "./nudge.js";
import { reweight } from "./reweight.js";
import { substitute } from "./substitute.js";
import { swap } from "./swap.js";

/** The five operators by name; the exhaustive record makes adding an op a compile error here. */
export const OPERATORS: { readonly [K in MutationSpec["op"]]: Operator<Extract<MutationSpec, { op: K }>> } = {
  swap,
  nudge,
  flip,
  reweight,
  substitute,
};

export function operatorFor<S extends MutationSpec>(spec: S): Operator<S> {
  return OPERATORS[spec.op] as unknown as Operator<S>;
}
