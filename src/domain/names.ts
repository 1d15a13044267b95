import { FORBIDDEN_KEYS } from "./json.js";

/** snake_case KPI names (`conversion`, `latency_ms`); the same rule for policies and events. */
const KPI_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** True for a KPI name evolvd accepts (snake_case, at most 64 characters, not a prototype key). */
export function isKpiName(name: string): boolean {
  // Streams repeat a handful of names: remember the answer for the first few thousand seen.
  const known = checked.get(name);
  if (known !== undefined) return known;
  const ok = KPI_NAME.test(name) && !FORBIDDEN_KEYS.has(name);
  if (checked.size < MAX_REMEMBERED) checked.set(name, ok);
  return ok;
}

const MAX_REMEMBERED = 4096;
const checked = new Map<string, boolean>();

/** Target names: lower-case letters, digits, '-' and '_', at most 63 (they become folder and key names). */
export const TARGET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isTargetName(name: string): boolean {
  return TARGET_NAME.test(name);
}
