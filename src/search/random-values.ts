import type { Rng } from "../domain/rng.js";
import type { MutationSpec, SchemaLeaf } from "../domain/target.js";
import { getPath, setPath, type ConfigValues, type JsonValue } from "../domain/values.js";
import type { AppliedMutation } from "../domain/version.js";
import { tidy } from "../mutation/operator.js";

const DECIMALS = 1e6;

/**
 * Random search's move: every setting of the mutation plan drawn afresh over its whole range
 * (uniform; weights from a flat Dirichlet above the plan's floor), the rest left as they are.
 * A reference for benchmarks, not a way to run a service: it ignores everything learnt.
 */
export function randomValues(values: ConfigValues, plan: readonly MutationSpec[], leaves: ReadonlyMap<string, SchemaLeaf>, functions: Readonly<Record<string, readonly string[]>>, rng: Rng): { values: ConfigValues; mutations: AppliedMutation[] } {
  let next = values;
  const mutations: AppliedMutation[] = [];
  const seen = new Set<string>();
  for (const spec of plan) {
    const leaf = leaves.get(spec.path);
    const from = getPath(next, spec.path);
    if (!leaf || from === undefined || seen.has(spec.path)) continue;
    seen.add(spec.path);
    const to = draw(leaf, spec, plan, functions, rng);
    if (to === null || JSON.stringify(to) === JSON.stringify(from)) continue;
    next = setPath(next, spec.path, to);
    mutations.push({ path: spec.path, op: spec.op, from, to });
  }
  return { values: next, mutations };
}

function draw(leaf: SchemaLeaf, spec: MutationSpec, plan: readonly MutationSpec[], functions: Readonly<Record<string, readonly string[]>>, rng: Rng): JsonValue | null {
  switch (leaf.kind) {
    case "integer":
      return leaf.min + rng.int(leaf.max - leaf.min + 1);
    case "number": {
      const nudge = plan.find((s): s is Extract<MutationSpec, { op: "nudge" }> => s.path === spec.path && s.op === "nudge");
      const x = leaf.min + rng.next() * (leaf.max - leaf.min);
      const step = nudge?.step ?? 0;
      return tidy(step > 0 ? Math.min(leaf.max, Math.max(leaf.min, Math.round(x / step) * step)) : x);
    }
    case "boolean":
      return rng.next() < 0.5;
    case "enum":
      return leaf.values[rng.int(leaf.values.length)] ?? null;
    case "function": {
      const names = functions[leaf.registry] ?? [];
      return names[rng.int(names.length)] ?? null;
    }
    case "weights": {
      const reweight = plan.find((s): s is Extract<MutationSpec, { op: "reweight" }> => s.path === spec.path && s.op === "reweight");
      const floor = reweight?.floor ?? 0;
      const raw = Array.from({ length: leaf.length }, () => -Math.log(1 - rng.next()));
      const total = raw.reduce((a, b) => a + b, 0);
      const free = 1 - floor * leaf.length;
      const rounded = raw.map((w) => Math.round((floor + (free * w) / total) * DECIMALS) / DECIMALS);
      const largest = rounded.indexOf(Math.max(...rounded));
      rounded[largest] = tidy((rounded[largest] as number) + 1 - rounded.reduce((a, b) => a + b, 0));
      return rounded;
    }
  }
}
