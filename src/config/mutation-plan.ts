import type { MutationSpec, SchemaLeaf } from "../domain/target.js";
import { own, quoted } from "../domain/json.js";
import { checkLeaf } from "./schema.js";
import { MutationSchema, type MutationEntry } from "./target-schema.js";
import { compile } from "./validate.js";

type Registries = Readonly<Record<string, readonly string[]>>;

const checkEntry = compile(MutationSchema, "mutations");

/**
 * Reads the `mutations` array of a target file. Each entry is checked by the schema of its
 * operator (MutationSchema), then against the setting it names: the path must be a leaf of the
 * schema and the operator must fit the leaf's kind. Problems name the entry index and field.
 */
export function parseMutationPlan(raw: unknown, leaves: readonly SchemaLeaf[], functions: Registries): { plan: MutationSpec[]; problems: string[] } {
  const plan: MutationSpec[] = [];
  const problems: string[] = [];
  if (!Array.isArray(raw) || raw.length === 0) return { plan, problems: ["mutations: must be a non-empty array"] };
  const byPath = new Map(leaves.map((leaf) => [leaf.path, leaf]));
  raw.forEach((entry: unknown, i) => {
    const where = `mutations[${i}]`;
    const checked = checkEntry(entry, where);
    if (!checked.ok) problems.push(...checked.problems);
    // A path that names no setting is said even when the entry breaks its schema too.
    const path = entry !== null && typeof entry === "object" ? (entry as { path?: unknown }).path : undefined;
    const leaf = typeof path === "string" ? byPath.get(path) : undefined;
    if (typeof path === "string" && !leaf) problems.push(`${where}.path: ${quoted(path)} is not a setting of the schema`);
    if (!checked.ok || !leaf) return;
    const parsed = fit(checked.value, leaf, functions, where);
    if (typeof parsed === "string") problems.push(parsed);
    else plan.push(parsed);
  });
  return { plan, problems };
}

/** The rules that need the setting: the operator fits its kind, and the values fit its bounds. */
function fit(entry: MutationEntry, leaf: SchemaLeaf, functions: Registries, where: string): MutationSpec | string {
  const { path, probability } = entry;
  const misfit = (needs: string) => `${where}: ${entry.op} needs ${needs} setting, "${path}" is ${leaf.kind}`;
  switch (entry.op) {
    case "swap": {
      if (leaf.kind !== "enum" && leaf.kind !== "integer" && leaf.kind !== "number") return misfit("an enum or numeric");
      // An enum's own values are the default; a numeric setting has none to offer.
      const values = entry.values ?? (leaf.kind === "enum" ? leaf.values : undefined);
      if (!values) return `${where}.values: is required to swap a numeric setting (a list of at least two)`;
      for (const [j, value] of values.entries()) {
        const broken = checkLeaf(leaf, value, functions);
        if (broken) return `${where}.values[${j}]: ${broken}`;
      }
      return { path, op: "swap", probability, values };
    }
    case "nudge": {
      if (leaf.kind !== "integer" && leaf.kind !== "number") return misfit("a numeric");
      const step = entry.step ?? (leaf.kind === "integer" ? 1 : 0);
      if (leaf.kind === "integer" && (!Number.isInteger(step) || step < 1)) return `${where}.step: must be a positive integer for an integer setting`;
      if (entry.maxStep < step) return `${where}.maxStep: must be no smaller than step (${step})`;
      return { path, op: "nudge", probability, maxStep: entry.maxStep, step };
    }
    case "flip":
      if (leaf.kind !== "boolean") return misfit("a Boolean");
      return { path, op: "flip", probability };
    case "reweight":
      if (leaf.kind !== "weights") return misfit("a weights");
      if (entry.floor * leaf.length >= 1) return `${where}.floor: must be in [0, 1/${leaf.length})`;
      return { path, op: "reweight", probability, sigma: entry.sigma, floor: entry.floor };
    case "substitute": {
      if (leaf.kind !== "function") return misfit("a function");
      if ((entry.registry ?? leaf.registry) !== leaf.registry) return `${where}.registry: must be "${leaf.registry}", the setting's own`;
      if (leaf.stage === undefined && (own(functions, leaf.registry)?.length ?? 0) < 2) return `${where}: registry "${leaf.registry}" needs at least two functions to substitute`;
      return { path, op: "substitute", probability, registry: leaf.registry };
    }
  }
}

