import { compileRule, matches, type CompiledRule, type EvaluationContext, type EvolvdVars } from "./audience.js";

/**
 * Named segments: rules that split units for analysis (and, optionally, per-segment baselines).
 * A unit is in the first segment whose rule it matches, or in "other": first match puts every
 * unit in exactly one segment, so per-segment results partition the units — they add up to the
 * whole, and no unit's outcomes are counted twice.
 */

/** One segment of a target: a name and the rule its units match. */
export interface Segment {
  readonly name: string;
  readonly rule: CompiledRule;
}

/** The segment of units no segment's rule matches. */
export const OTHER_SEGMENT = "other";
const RESERVED: ReadonlySet<string> = new Set(["all", OTHER_SEGMENT]);
const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_SEGMENTS = 16;
const KEYS: ReadonlySet<string> = new Set(["name", "rule"]);

/**
 * Validates a list of `{ name, rule }`; problems name the field after `where`.
 * Example: `compileSegments([{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }], "policy.segments")`.
 */
export function compileSegments(raw: unknown, where: string): { segments?: readonly Segment[]; problems: string[] } {
  if (!Array.isArray(raw)) return { problems: [`${where}: must be an array of segments ({ name, rule })`] };
  const problems: string[] = [];
  if (raw.length > MAX_SEGMENTS) problems.push(`${where}: at most ${MAX_SEGMENTS} segments, found ${raw.length}`);
  const seen = new Set<string>();
  const segments: Segment[] = [];
  raw.forEach((item: unknown, i) => {
    const at = `${where}[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      problems.push(`${at}: must be an object { name, rule }`);
      return;
    }
    const entry = item as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (!KEYS.has(key)) problems.push(`${at}.${key}: unknown key; expected name, rule`);
    const name = checkName(entry.name, `${at}.name`, seen, problems);
    if (!Object.hasOwn(entry, "rule")) problems.push(`${at}.rule: required (a JsonLogic rule)`);
    const compiled = Object.hasOwn(entry, "rule") ? compileRule(entry.rule, `${at}.rule`) : { problems: [] };
    problems.push(...compiled.problems);
    if (name !== undefined && compiled.rule !== undefined) segments.push(Object.freeze({ name, rule: compiled.rule }));
  });
  return problems.length > 0 ? { problems } : { segments: Object.freeze(segments), problems };
}

function checkName(name: unknown, at: string, seen: Set<string>, problems: string[]): string | undefined {
  if (typeof name !== "string" || !NAME.test(name)) {
    problems.push(`${at}: ${JSON.stringify(name) ?? "undefined"} is not a segment name; expected snake_case matching ${NAME.source}`);
    return undefined;
  }
  if (RESERVED.has(name)) {
    problems.push(`${at}: "${name}" is reserved (${[...RESERVED].map((r) => `"${r}"`).join(" and ")} name the whole and the rest)`);
    return undefined;
  }
  if (seen.has(name)) {
    problems.push(`${at}: "${name}" names two segments`);
    return undefined;
  }
  seen.add(name);
  return name;
}

/** The name of the first segment whose rule the unit matches, else "other". Never throws. */
export function segmentOf(segments: readonly Segment[], context: EvaluationContext, vars: EvolvdVars): string {
  return segments[segmentIndex(segments, context, vars)]?.name ?? OTHER_SEGMENT;
}

/** The index of the first segment whose rule the unit matches, else `segments.length` ("other"). Never throws. */
export function segmentIndex(segments: readonly Segment[], context: EvaluationContext, vars: EvolvdVars): number {
  for (let i = 0; i < segments.length; i++) if (matches((segments[i] as Segment).rule, context, vars)) return i;
  return segments.length;
}
