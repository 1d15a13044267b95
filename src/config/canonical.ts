import { createHash } from "node:crypto";
import type { JsonValue } from "../domain/values.js";

/**
 * Canonical JSON: object keys sorted, no whitespace, numbers as JavaScript prints them.
 * Two equal configurations always print the same bytes, so their hashes match.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for ${value}`);
    // -0 and 0 are the same configuration.
    return JSON.stringify(value === 0 ? 0 : value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(",")}}`;
}

/** Hex sha256 of a string. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A version id: sha256 of the values' canonical JSON. */
export function versionIdOf(values: JsonValue): string {
  return sha256(canonicalJson(values));
}

/** The first 12 hex digits, for tables and logs (full ids everywhere else). */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
