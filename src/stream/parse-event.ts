import type { StreamEvent } from "../domain/event.js";
import { isKpiName } from "../domain/names.js";
import { FILE_LIMITS, FORBIDDEN_KEYS, parseJson, quoted } from "../domain/json.js";
import { err, ok, problem, type Problem, type Result } from "../domain/result.js";

const FIELDS = {
  exposure: new Set(["type", "target", "unit", "ts", "arm", "attributes"]),
  outcome: new Set(["type", "target", "unit", "ts", "arm", "metrics", "effects"]),
};
const VERSION_ID = /^[0-9a-f]{64}$/;
export const MAX_UNIT_LENGTH = 256;
export const MAX_LINE_BYTES = 64 * 1024;
/** Largest KPI value magnitude: sums of squares over a billion outcomes stay finite. */
export const MAX_KPI_VALUE = 1e12;
/** Longest string attribute of an exposure (country, device, a segment label). */
export const MAX_ATTRIBUTE_LENGTH = 256;
const isAttribute = (v: unknown): boolean => (typeof v === "string" && v.length <= MAX_ATTRIBUTE_LENGTH) || (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean";

/** Most side effects one outcome may carry, and the longest JSON text of one's detail. */
export const MAX_EFFECTS_PER_OUTCOME = 16;
export const MAX_EFFECT_DETAIL = 512;
const EFFECT_KIND = /^[a-z][a-z0-9_.-]{0,63}$/;

/** What is wrong with an outcome's side effects (docs/stages.md), or null. */
function effectsProblem(effects: unknown): string | null {
  if (!Array.isArray(effects) || effects.length > MAX_EFFECTS_PER_OUTCOME) return `effects: must be an array of at most ${MAX_EFFECTS_PER_OUTCOME} side effects`;
  for (const [i, e] of effects.entries()) {
    if (e === null || typeof e !== "object" || Array.isArray(e)) return `effects[${i}]: must be {stage, kind, detail?}`;
    for (const key in e) if (key !== "stage" && key !== "kind" && key !== "detail") return `effects[${i}].${quoted(key)}: not a field of a side effect`;
    const { stage, kind, detail } = e as Record<string, unknown>;
    if (typeof stage !== "string" || !EFFECT_KIND.test(stage)) return `effects[${i}].stage: must be a stage id`;
    if (typeof kind !== "string" || !EFFECT_KIND.test(kind)) return `effects[${i}].kind: must be a name like "db.write" (lower-case, at most 64 characters)`;
    if (detail !== undefined && JSON.stringify(detail).length > MAX_EFFECT_DETAIL) return `effects[${i}].detail: at most ${MAX_EFFECT_DETAIL} characters of JSON`;
  }
  return null;
}

/** Most KPIs one outcome may carry. */
export const MAX_KPIS_PER_OUTCOME = 64;

/**
 * Validates one line of the transaction stream (a JSON text or an already parsed object).
 * Never throws: a bad line comes back as a Problem whose code is counted and whose message
 * names the field and the rule broken.
 */
export function parseEvent(input: unknown): Result<StreamEvent, Problem> {
  let raw = input;
  if (typeof input === "string") {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long line needs its bytes counted.
    if (input.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(input) > MAX_LINE_BYTES) return err(problem("line_too_long", `line is longer than ${MAX_LINE_BYTES} bytes`));
    try {
      raw = JSON.parse(input);
    } catch {
      // Only on the error path: parseJson words the message without echoing the line.
      const again = parseJson(input, FILE_LIMITS);
      return err(again.ok ? problem("invalid_json", "not valid JSON") : again.error);
    }
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return err(problem("not_an_object", "an event must be a JSON object"));
  const event = raw as Record<string, unknown>;
  const type = event.type;
  if (type !== "exposure" && type !== "outcome") return err(problem("invalid_type", `type: must be "exposure" or "outcome", got ${quoted(type)}`));
  // for…in over own keys only: every event object comes from JSON.parse or a literal (no
  // inherited enumerable keys), and it allocates no key array on the hot path.
  for (const key in event) if (!FIELDS[type].has(key)) return err(problem("unknown_field", `${quoted(key)}: not a field of an ${type} event`));
  if (typeof event.target !== "string" || event.target.length === 0) return err(problem("invalid_target", "target: must be a non-empty string"));
  if (typeof event.unit !== "string" || event.unit.length === 0 || event.unit.length > MAX_UNIT_LENGTH)
    return err(problem("invalid_unit", `unit: must be a non-empty string of at most ${MAX_UNIT_LENGTH} characters`));
  if (typeof event.ts !== "number" || !Number.isFinite(event.ts) || event.ts < 0)
    return err(problem("invalid_ts", "ts: must be milliseconds since the epoch (a non-negative number)"));
  if (event.arm !== undefined && (typeof event.arm !== "string" || !VERSION_ID.test(event.arm)))
    return err(problem("invalid_arm", "arm: must be a version id (64 lower-case hex digits)"));
  if (type === "exposure") {
    const attributes = event.attributes;
    if (attributes !== undefined) {
      if (attributes === null || typeof attributes !== "object" || Array.isArray(attributes) || !Object.values(attributes).every(isAttribute))
        return err(problem("invalid_attributes", `attributes: must be an object of strings (at most ${MAX_ATTRIBUTE_LENGTH} characters), finite numbers or booleans`));
      for (const key in attributes) if (FORBIDDEN_KEYS.has(key)) return err(problem("forbidden_key", `attributes.${key}: the key "${key}" is not allowed`));
    }
    return ok(event as unknown as StreamEvent);
  }
  const metrics = event.metrics;
  if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics))
    return err(problem("invalid_metrics", "metrics: must be an object of KPI name → number"));
  let count = 0;
  for (const name in metrics) {
    if (++count > MAX_KPIS_PER_OUTCOME) return err(problem("invalid_metrics", `metrics: at most ${MAX_KPIS_PER_OUTCOME} KPIs per outcome`));
    const value = (metrics as Record<string, unknown>)[name];
    if (FORBIDDEN_KEYS.has(name)) return err(problem("forbidden_key", `metrics.${name}: the key "${name}" is not allowed`));
    if (!isKpiName(name)) return err(problem("invalid_metrics", `metrics.${quoted(name)}: KPI names are snake_case, at most 64 characters`));
    if (typeof value !== "number" || !(Math.abs(value) <= MAX_KPI_VALUE)) return err(problem("invalid_metrics", `metrics.${name}: must be a number within ±${MAX_KPI_VALUE}`));
  }
  if (count === 0) return err(problem("invalid_metrics", "metrics: must name at least one KPI"));
  const broken = event.effects === undefined ? null : effectsProblem(event.effects);
  return broken ? err(problem("invalid_effects", broken)) : ok(event as unknown as StreamEvent);
}

/**
 * The evaluation context's values an exposure can carry (`attributes` above): strings of at most
 * MAX_ATTRIBUTE_LENGTH characters, finite numbers, booleans; not the targeting key. OFREP and the
 * SDK send exposures with them.
 */
export function exposureAttributes(context: Readonly<Record<string, unknown>>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(context)) {
    const v = context[key];
    if (key === "targetingKey" || FORBIDDEN_KEYS.has(key)) continue;
    if ((typeof v === "string" && v.length <= MAX_ATTRIBUTE_LENGTH) || (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") out[key] = v;
  }
  return out;
}
