import convict from "convict";
import type { SchemaLeaf } from "../domain/target.js";
import { own, quoted } from "../domain/json.js";
import type { ConfigValues, JsonValue } from "../domain/values.js";

/**
 * A target's configuration schema is written in convict's words (`doc`, `format`) plus bounds
 * (`min`, `max`) and two evolvd formats (`weights`, `function`). This module reads it into
 * `SchemaLeaf`s and validates value sets strictly with convict: unknown keys, missing keys,
 * wrong types and out-of-bounds numbers are all errors, and nothing is coerced.
 */

const WEIGHT_SUM_TOLERANCE = 1e-9;

/** Reads the `schema` object of a target file into leaves; problems name the path. */
export function parseSchema(raw: unknown, functions: Readonly<Record<string, readonly string[]>>): { leaves: SchemaLeaf[]; problems: string[] } {
  const leaves: SchemaLeaf[] = [];
  const problems: string[] = [];
  walk(raw, "");
  return { leaves, problems };

  function walk(node: unknown, path: string): void {
    if (!isObject(node)) {
      problems.push(`schema${path ? "." + path : ""}: must be an object`);
      return;
    }
    if ("format" in node) {
      const leaf = parseLeaf(node, path);
      if (typeof leaf === "string") problems.push(`schema.${path}: ${leaf}`);
      else leaves.push(leaf);
      return;
    }
    const keys = Object.keys(node);
    if (keys.length === 0) problems.push(`schema${path ? "." + path : ""}: has no settings`);
    for (const key of keys) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        problems.push(`schema${path ? "." + path : ""}: key ${quoted(key)} must be a plain identifier`);
        continue;
      }
      walk(node[key], path ? `${path}.${key}` : key);
    }
  }

  function parseLeaf(node: Record<string, unknown>, path: string): SchemaLeaf | string {
    if (!path) return "the schema root cannot be a single setting";
    const doc = typeof node.doc === "string" ? node.doc : "";
    const format = node.format;
    if (Array.isArray(format)) {
      if (format.length < 2 || !format.every((v) => typeof v === "string" || typeof v === "number"))
        return "an enum format must list at least two strings or numbers";
      if (new Set(format).size !== format.length) return "an enum format lists a value twice";
      return { path, kind: "enum", values: format as (string | number)[], doc };
    }
    switch (format) {
      case "int":
      case "nat":
      case "integer":
      case "number":
      case "Number": {
        const integer = format !== "number" && format !== "Number";
        const min = node.min ?? (format === "nat" ? 0 : undefined);
        const max = node.max;
        if (typeof min !== "number" || typeof max !== "number" || !Number.isFinite(min) || !Number.isFinite(max))
          return `format "${format}" needs numeric "min" and "max" bounds`;
        if (min > max) return `"min" (${min}) is above "max" (${max})`;
        if (integer && (!Number.isInteger(min) || !Number.isInteger(max))) return `integer bounds must be integers`;
        return { path, kind: integer ? "integer" : "number", min, max, doc };
      }
      case "Boolean":
      case "boolean":
        return { path, kind: "boolean", doc };
      case "weights": {
        const length = node.length;
        if (typeof length !== "number" || !Number.isInteger(length) || length < 2)
          return `format "weights" needs an integer "length" of at least 2`;
        return { path, kind: "weights", length, doc };
      }
      case "function": {
        const registry = node.registry;
        if (typeof registry !== "string") return `format "function" needs a "registry" name`;
        if (!own(functions, registry)) return `registry ${quoted(registry)} is not listed under "functions"`;
        return { path, kind: "function", registry, doc };
      }
      default:
        return `unknown format ${quoted(format)} (use int, nat, number, Boolean, weights, function, or an array of allowed values)`;
    }
  }
}

/** Checks one value against a leaf; returns the broken rule, or null when it holds. */
export function checkLeaf(leaf: SchemaLeaf, value: unknown, functions: Readonly<Record<string, readonly string[]>>): string | null {
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

/** Builds the convict schema (nested, one strict format function per leaf). */
function convictSchema(leaves: readonly SchemaLeaf[], functions: Readonly<Record<string, readonly string[]>>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const leaf of leaves) {
    const keys = leaf.path.split(".");
    let node = root;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1] as string] = {
      doc: leaf.doc,
      // A null default means "missing", which the strict format then reports.
      default: null,
      format: (value: unknown) => {
        const broken = value === null ? "is missing" : checkLeaf(leaf, value, functions);
        if (broken) throw new Error(broken);
      },
    };
  }
  return root;
}

/**
 * Validates a full value set strictly. Returns the list of broken rules, each naming its path;
 * an empty list means valid.
 */
export function validateValues(
  leaves: readonly SchemaLeaf[],
  functions: Readonly<Record<string, readonly string[]>>,
  values: ConfigValues,
): string[] {
  // env and args are emptied so the daemon's own environment can never leak into a target.
  const config = convict(convictSchema(leaves, functions) as convict.Schema<unknown>, { env: {}, args: [] });
  try {
    config.load(values as JsonValue as object);
    config.validate({ allowed: "strict" });
    return [];
  } catch (error) {
    return String((error as Error).message)
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
