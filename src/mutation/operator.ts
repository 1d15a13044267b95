import type { Rng } from "../domain/rng.js";
import type { MutationSpec, SchemaLeaf } from "../domain/target.js";
import type { JsonValue } from "../domain/values.js";

/** What an operator may look at besides the current value. */
export interface OperatorContext<S extends MutationSpec = MutationSpec> {
  readonly spec: S;
  readonly leaf: SchemaLeaf;
  readonly functions: Readonly<Record<string, readonly string[]>>;
  readonly rng: Rng;
}

/** One mutation operator: a pure function of the current value, its spec and a seeded stream. */
export type Operator<S extends MutationSpec = MutationSpec> = (current: JsonValue, context: OperatorContext<S>) => JsonValue;

/** Twelve significant digits: keeps 0.1 + 0.2 from becoming a new version of its own. */
export function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

/** Uniform choice among `options` other than `current` (any of them when current is not listed). */
export function pickOther<T>(options: readonly T[], current: unknown, rng: Rng): T {
  const others = options.filter((option) => option !== current);
  const pool = others.length > 0 ? others : options;
  return pool[rng.int(pool.length)] as T;
}
