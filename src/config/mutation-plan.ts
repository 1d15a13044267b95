import type { MutationSpec, SchemaLeaf } from "../domain/target.js";
import { own, quoted } from "../domain/json.js";
import { checkLeaf } from "./schema.js";

/**
 * Reads the `mutations` array of a target file. Each entry names a schema path and an
 * operator that fits the leaf's kind; problems name the entry index and field.
 */
export function parseMutationPlan(
  raw: unknown,
  leaves: readonly SchemaLeaf[],
  functions: Readonly<Record<string, readonly string[]>>,
): { plan: MutationSpec[]; problems: string[] } {
  const plan: MutationSpec[] = [];
  const problems: string[] = [];
  if (!Array.isArray(raw) || raw.length === 0) return { plan, problems: ["mutations: must be a non-empty array"] };
  const byPath = new Map(leaves.map((leaf) => [leaf.path, leaf]));
  raw.forEach((entry, i) => {
    const where = `mutations[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return void problems.push(`${where}: must be an object`);
    const spec = entry as Record<string, unknown>;
    const leaf = typeof spec.path === "string" ? byPath.get(spec.path) : undefined;
    if (!leaf) return void problems.push(`${where}.path: ${quoted(spec.path)} is not a setting of the schema`);
    const probability = spec.probability ?? 0.5;
    if (typeof probability !== "number" || !(probability > 0 && probability <= 1))
      return void problems.push(`${where}.probability: must be in (0, 1]`);
    const parsed = parseOne(spec, leaf, probability, functions);
    if (typeof parsed === "string") problems.push(`${where}: ${parsed}`);
    else plan.push(parsed);
  });
  return { plan, problems };
}

const FIELDS: Record<MutationSpec["op"], readonly string[]> = {
  swap: ["values"],
  nudge: ["maxStep", "step"],
  flip: [],
  reweight: ["sigma", "floor"],
  substitute: ["registry"],
};

function parseOne(
  spec: Record<string, unknown>,
  leaf: SchemaLeaf,
  probability: number,
  functions: Readonly<Record<string, readonly string[]>>,
): MutationSpec | string {
  const fields = typeof spec.op === "string" ? own(FIELDS, spec.op) : undefined;
  if (!fields) return `op: ${quoted(spec.op)} is not one of swap, nudge, flip, reweight, substitute`;
  const op = spec.op as MutationSpec["op"];
  for (const key of Object.keys(spec))
    if (!["path", "op", "probability", ...fields].includes(key)) return `unknown field ${quoted(key)} for op "${op}"`;
  const path = leaf.path;
  switch (op) {
    case "swap": {
      if (leaf.kind !== "enum" && leaf.kind !== "integer" && leaf.kind !== "number") return `swap needs an enum or numeric setting, "${path}" is ${leaf.kind}`;
      const values = spec.values ?? (leaf.kind === "enum" ? leaf.values : undefined);
      if (!Array.isArray(values) || values.length < 2) return "swap needs a \"values\" list of at least two";
      for (const value of values) {
        const broken = checkLeaf(leaf, value, functions);
        if (broken) return `values: ${quoted(value)} ${broken}`;
      }
      return { path, op, probability, values: values as (string | number)[] };
    }
    case "nudge": {
      if (leaf.kind !== "integer" && leaf.kind !== "number") return `nudge needs a numeric setting, "${path}" is ${leaf.kind}`;
      const step = spec.step ?? (leaf.kind === "integer" ? 1 : 0);
      const maxStep = spec.maxStep;
      if (typeof step !== "number" || step < 0 || (leaf.kind === "integer" && (!Number.isInteger(step) || step < 1)))
        return `step must be ${leaf.kind === "integer" ? "a positive integer" : "a non-negative number (0 = no quantisation)"}`;
      if (typeof maxStep !== "number" || !(maxStep > 0) || maxStep < step) return "maxStep must be a positive number no smaller than step";
      return { path, op, probability, maxStep, step };
    }
    case "flip":
      if (leaf.kind !== "boolean") return `flip needs a Boolean setting, "${path}" is ${leaf.kind}`;
      return { path, op, probability };
    case "reweight": {
      if (leaf.kind !== "weights") return `reweight needs a weights setting, "${path}" is ${leaf.kind}`;
      const sigma = spec.sigma ?? 0.2;
      const floor = spec.floor ?? 0;
      if (typeof sigma !== "number" || !(sigma > 0 && sigma <= 2)) return "sigma must be in (0, 2]";
      if (typeof floor !== "number" || floor < 0 || floor * leaf.length >= 1) return `floor must be in [0, 1/${leaf.length})`;
      return { path, op, probability, sigma, floor };
    }
    case "substitute": {
      if (leaf.kind !== "function") return `substitute needs a function setting, "${path}" is ${leaf.kind}`;
      const registry = spec.registry ?? leaf.registry;
      if (registry !== leaf.registry) return `registry must be "${leaf.registry}", the setting's own`;
      if ((own(functions, leaf.registry)?.length ?? 0) < 2) return `registry "${leaf.registry}" needs at least two functions to substitute`;
      return { path, op, probability, registry: leaf.registry };
    }
  }
}
