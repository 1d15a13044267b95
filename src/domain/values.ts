import type { ValueChange } from "./version.js";

/** Configuration values: plain JSON, nested objects keyed by name. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type ConfigValues = { [key: string]: JsonValue };

/** Reads a dotted path ("retry.limit") from nested values; undefined when absent. */
export function getPath(values: ConfigValues, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = values;
  for (const key of path.split(".")) {
    // Own keys only: "checkout.constructor" is no setting, whatever Object.prototype has.
    if (node === null || typeof node !== "object" || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Returns a copy of `values` with `path` set; the input is never changed (versions are immutable). */
export function setPath(values: ConfigValues, path: string, value: JsonValue): ConfigValues {
  const [head, ...rest] = path.split(".");
  if (head === undefined) return values;
  if (rest.length === 0) return { ...values, [head]: value };
  const child = values[head];
  const childObject = child !== null && typeof child === "object" && !Array.isArray(child) ? child : {};
  return { ...values, [head]: setPath(childObject, rest.join("."), value) };
}

/** Every leaf path of nested values, in key order (arrays are leaves). */
export function leafPaths(values: ConfigValues, prefix = ""): string[] {
  const paths: string[] = [];
  for (const key of Object.keys(values).sort()) {
    const value = values[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) paths.push(...leafPaths(value, path));
    else paths.push(path);
  }
  return paths;
}

/** Changed leaf paths between two value sets, old → new, sorted by path. */
export function diffValues(a: ConfigValues, b: ConfigValues): ValueChange[] {
  const paths = [...new Set([...leafPaths(a), ...leafPaths(b)])].sort();
  return paths
    .map((path) => ({ path, from: getPath(a, path), to: getPath(b, path) }))
    .filter((c) => JSON.stringify(c.from) !== JSON.stringify(c.to));
}

/**
 * `values` with `change` laid over it: nested objects merge key by key, anything else (a number,
 * a weights array) replaces. The inputs are never changed. An operator's partial candidate
 * (`{"retry": {"limit": 4}}`) is merged onto the baseline this way.
 */
export function mergeValues(values: ConfigValues, change: ConfigValues): ConfigValues {
  const isObject = (v: JsonValue | undefined): v is ConfigValues => v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
  // Own data properties only (fromEntries never calls a setter, so "__proto__" stays a key the
  // schema then refuses, never a prototype).
  const keys = [...new Set([...Object.keys(values), ...Object.keys(change)])];
  return Object.fromEntries(
    keys.map((key) => {
      const current = Object.hasOwn(values, key) ? values[key] : undefined;
      if (!Object.hasOwn(change, key)) return [key, current as JsonValue];
      const next = change[key] as JsonValue;
      return [key, isObject(current) && isObject(next) ? mergeValues(current, next) : next];
    }),
  );
}
