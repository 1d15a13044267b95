import { FORBIDDEN_KEYS } from "./json.js";

/** snake_case KPI names (`conversion`, `latency_ms`); the same rule for policies and events. */
const KPI_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** True for a KPI name evolvd accepts (snake_case, at most 64 characters, not a prototype key). */
export function isKpiName(name: string): boolean {
  return KPI_NAME.test(name) && !FORBIDDEN_KEYS.has(name);
}
