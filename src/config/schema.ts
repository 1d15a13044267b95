import type { SchemaLeaf } from "../domain/target.js";
import { own, quoted } from "../domain/json.js";
import type { ConfigValues } from "../domain/values.js";
import {
  BooleanLeafSchema,
  EnumLeafSchema,
  FunctionLeafSchema,
  IntegerLeafSchema,
  NatLeafSchema,
  NumberLeafSchema,
  WeightsLeafSchema,
  type LeafSpec,
} from "./target-schema.js";
import { compile } from "./validate.js";

/**
 * A target's configuration schema is written in convict's words (`doc`, `format`) plus bounds
 * (`min`, `max`) and two evolvd formats (`weights`, `function`). This module reads it into
 * `SchemaLeaf`s — each leaf validated by the TypeBox schema of its format — and validates value
 * sets strictly against them: unknown keys, missing keys, wrong types and out-of-bounds numbers
 * are all errors, and nothing is coerced.
 */

type Registries = Readonly<Record<string, readonly string[]>>;
/** A stage version id: the SHA-256 of the stage's code (function source text or module bytes), hex. */
export const STAGE_VERSION = /^[0-9a-f]{64}$/;
type LeafCheck = (value: unknown, prefix?: string) => { readonly ok: true; readonly value: LeafSpec } | { readonly ok: false; readonly problems: string[] };

const WEIGHT_SUM_TOLERANCE = 1e-9;

const integerLeaf = compile(IntegerLeafSchema, "schema");
const numberLeaf = compile(NumberLeafSchema, "schema");
const booleanLeaf = compile(BooleanLeafSchema, "schema");
/** The schema of each string format; an array format is an enum (EnumLeafSchema). */
const LEAF_BY_FORMAT: Readonly<Record<string, LeafCheck>> = {
  int: integerLeaf,
  integer: integerLeaf,
  nat: compile(NatLeafSchema, "schema"),
  number: numberLeaf,
  Number: numberLeaf,
  Boolean: booleanLeaf,
  boolean: booleanLeaf,
  weights: compile(WeightsLeafSchema, "schema"),
  function: compile(FunctionLeafSchema, "schema"),
};
const enumLeaf: LeafCheck = compile(EnumLeafSchema, "schema");

/** Reads the `schema` object of a target file into leaves; problems name the path. */
export function parseSchema(raw: unknown, functions: Registries, stages: Readonly<Record<string, string>> = {}): { leaves: SchemaLeaf[]; problems: string[] } {
  const leaves: SchemaLeaf[] = [];
  const problems: string[] = [];
  walk(raw, "");
  return { leaves, problems };

  // Nesting is code: a node is a leaf exactly when it has a `format`, which no schema can say
  // without repeating the leaf schemas at every depth.
  function walk(node: unknown, path: string): void {
    const at = path ? `schema.${path}` : "schema";
    if (!isObject(node)) return void problems.push(`${at}: must be an object`);
    if ("format" in node) {
      if (!path) return void problems.push(`${at}: the schema root cannot be a single setting`);
      const leaf = parseLeaf(node, path, at);
      if (typeof leaf === "string") problems.push(`${at}: ${leaf}`);
      else if (Array.isArray(leaf)) problems.push(...leaf);
      else leaves.push(leaf);
      return;
    }
    const keys = Object.keys(node);
    if (keys.length === 0) problems.push(`${at}: has no settings`);
    for (const key of keys) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.push(`${at}: key ${quoted(key)} must be a plain identifier`);
      else walk(node[key], path ? `${path}.${key}` : key);
    }
  }

  /** A leaf, or one broken rule of the leaf, or the problems its schema found (with their paths). */
  function parseLeaf(node: Record<string, unknown>, path: string, at: string): SchemaLeaf | string | string[] {
    const format = node.format;
    const check = Array.isArray(format) ? enumLeaf : typeof format === "string" ? own(LEAF_BY_FORMAT, format) : undefined;
    if (!check) return `unknown format ${quoted(format)} (use int, nat, number, Boolean, weights, function, or an array of allowed values)`;
    const checked = check(node, at);
    return checked.ok ? toLeaf(checked.value, path, functions, stages) : checked.problems;
  }
}

/** The rules of a leaf that need more than the leaf's own fields: bounds in order, a known registry. */
function toLeaf(spec: LeafSpec, path: string, functions: Registries, stages: Readonly<Record<string, string>>): SchemaLeaf | string {
  const doc = spec.doc ?? "";
  if (Array.isArray(spec.format)) return { path, kind: "enum", values: spec.format, doc };
  switch (spec.format) {
    case "int":
    case "integer":
    case "nat":
    case "number":
    case "Number": {
      if (spec.min > spec.max) return `"min" (${spec.min}) is above "max" (${spec.max})`;
      const integer = spec.format !== "number" && spec.format !== "Number";
      return { path, kind: integer ? "integer" : "number", min: spec.min, max: spec.max, doc };
    }
    case "Boolean":
    case "boolean":
      return { path, kind: "boolean", doc };
    case "weights":
      return { path, kind: "weights", length: spec.length, doc };
    case "function":
      if (!own(functions, spec.registry)) return `registry ${quoted(spec.registry)} is not listed under "functions"`;
      return { path, kind: "function", registry: spec.registry, ...(own(stages, spec.registry) ? { stage: stages[spec.registry] as string } : {}), doc };
  }
}

/** Checks one value against a leaf; returns the broken rule, or null when it holds. */
export function checkLeaf(leaf: SchemaLeaf, value: unknown, functions: Registries): string | null {
  switch (leaf.kind) {
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return "must be an integer";
      return value < leaf.min || value > leaf.max ? `must be within [${leaf.min}, ${leaf.max}]` : null;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return "must be a finite number";
      return value < leaf.min || value > leaf.max ? `must be within [${leaf.min}, ${leaf.max}]` : null;
    case "boolean":
      return typeof value === "boolean" ? null : "must be true or false";
    case "enum":
      return leaf.values.includes(value as string | number) ? null : `must be one of ${quoted(leaf.values, 200)}`;
    case "function": {
      // A stage's versions are known only at run time (the SDKs' reports): here, only their form.
      if (leaf.stage !== undefined) return typeof value === "string" && STAGE_VERSION.test(value) ? null : `must be a version of stage "${leaf.stage}": the SHA-256 of its code, 64 lower-case hex digits`;
      const registered = own(functions, leaf.registry) ?? [];
      return registered.includes(value as string) ? null : `must be a function registered in "${leaf.registry}": ${quoted(registered, 200)}`;
    }
    case "weights": {
      if (!Array.isArray(value) || value.length !== leaf.length) return `must be an array of ${leaf.length} weights`;
      if (!value.every((w) => typeof w === "number" && Number.isFinite(w) && w >= 0)) return "weights must be non-negative numbers";
      const sum = (value as number[]).reduce((a, b) => a + b, 0);
      return Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE ? `weights must sum to 1 (they sum to ${sum})` : null;
    }
  }
}

/** The leaves as nested settings: a Map is a group of settings, anything else a leaf. */
type Tree = Map<string, Tree | SchemaLeaf>;
/** Trees of the leaf lists seen: validateValues runs for every candidate drawn. */
const trees = new WeakMap<readonly SchemaLeaf[], Tree>();

function treeOf(leaves: readonly SchemaLeaf[]): Tree {
  let root = trees.get(leaves);
  if (root) return root;
  root = new Map();
  for (const leaf of leaves) {
    const keys = leaf.path.split(".");
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node.get(key);
      if (next instanceof Map) node = next;
      else node.set(key, (node = new Map()));
    }
    node.set(keys[keys.length - 1] as string, leaf);
  }
  trees.set(leaves, root);
  return root;
}

/**
 * Validates a full value set strictly. Returns the list of broken rules, each naming its path
 * (`retry.limit: must be within [0, 8]`); an empty list means valid.
 *
 * This walks the schema's leaves with `checkLeaf` rather than compiling a TypeBox schema from
 * them: two of the rules (weights sum to 1, a function is registered) are code either way,
 * `checkLeaf` already is the rule the mutation plan's swap values are held to, and ajv would
 * keep the schema compiled for every target ever loaded for the life of the daemon. Strict:
 * a missing or undeclared key is an error, and nothing is coerced (`"2500"` is no number).
 */
export function validateValues(leaves: readonly SchemaLeaf[], functions: Registries, values: ConfigValues): string[] {
  const problems: string[] = [];
  walk(treeOf(leaves), values, "");
  return problems;

  function walk(tree: Tree, node: unknown, path: string): void {
    const at = (key: string) => (path ? `${path}.${key}` : key);
    if (node !== undefined && !isObject(node)) return void problems.push(`${path || "(root)"}: must be an object of settings`);
    for (const [key, child] of tree) {
      const value = node !== undefined && Object.hasOwn(node, key) ? node[key] : undefined;
      if (child instanceof Map) walk(child, value, at(key));
      else if (value === undefined) problems.push(`${at(key)}: is missing`);
      else {
        const broken = checkLeaf(child, value, functions);
        if (broken) problems.push(`${at(key)}: ${broken}`);
      }
    }
    for (const key of node === undefined ? [] : Object.keys(node)) if (!tree.has(key)) problems.push(`${at(key)}: is not declared in the schema`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
