import jsonLogic, { type RulesLogic } from "json-logic-js";
import type { AudienceRule } from "../domain/target.js";
import { compiledAudience, truthy } from "./compiled-rule.js";

/**
 * Audiences: JsonLogic rules over a unit's evaluation context, as flagd's targeting
 * (https://flagd.dev/reference/flag-definitions/). A rule is checked once, when its target file
 * is loaded (`compileRule`), and then evaluated on every assignment (`matches`), which never
 * throws: a rule that fails on a context leaves the unit out.
 */

/** The attributes a unit is evaluated with (OFREP's context, an event's attributes). */
export type EvaluationContext = Readonly<Record<string, unknown>>;

/**
 * A rule `compileRule` accepted: plain, frozen JSON, so it can sit in a policy, a snapshot or a
 * status view as written. It is the domain's `AudienceRule`; the name says it was checked.
 */
export type CompiledRule = AudienceRule;

/** What evolvd adds to every context, under `$evolvd` (as flagd's `$flagd`). */
export interface EvolvdVars {
  /** Epoch milliseconds of the evaluation (the injected clock's: virtual in simulation). */
  readonly now: number;
  /** The target's name. */
  readonly target: string;
}

// `log` and `method` are left out: a rule has no side effects and calls no methods.
const OPERATORS: ReadonlySet<string> = new Set([
  "var", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!", "!!", "or", "and",
  ">", ">=", "<", "<=", "max", "min", "+", "-", "*", "/", "%", "in", "cat", "substr", "merge",
  "all", "none", "some", "map", "filter", "reduce", "starts_with", "ends_with", "sem_ver",
]);
// Segments that would walk from the data into prototypes rather than the context's own values.
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);
const EVOLVD_KEYS: ReadonlySet<string> = new Set(["timestamp", "target", "hourUtc", "weekdayUtc"]);
const SEMVER_OPERATORS: ReadonlySet<string> = new Set(["=", "!=", "<", "<=", ">", ">=", "^", "~"]);
// json-logic-js recurses once per level and walks every node on each evaluation: bounds keep a
// hostile or mistaken file from costing a stack overflow or a slow hot path.
const MAX_DEPTH = 32;
const MAX_NODES = 1000;

/**
 * Validates a JsonLogic rule; problems name the path inside it, after `where`.
 * Example: `compileRule({ in: [{ var: "country" }, ["DE", "AT"]] }, "policy.audience")`.
 */
export function compileRule(rule: unknown, where: string): { rule?: CompiledRule; problems: string[] } {
  const isOperation = rule !== null && typeof rule === "object" && !Array.isArray(rule);
  if (!isOperation && typeof rule !== "boolean") return { problems: [`${where}: must be a JsonLogic rule (an object with one operator) or true/false`] };
  const walk: Walk = { problems: [], nodes: 0, tooBig: false };
  const compiled = check(rule, where, 1, walk);
  if (walk.problems.length > 0 || compiled === undefined) return { problems: walk.problems };
  return { rule: compiled, problems: [] };
}

/**
 * Whether a unit with this context is in the rule's audience, at `vars.now`. Never throws: an
 * evaluation that fails (a missing attribute, a wrong type) is false.
 */
export function matches(rule: CompiledRule, context: EvaluationContext, vars: EvolvdVars): boolean {
  if (typeof rule === "boolean") return rule;
  // Most rules run as closures (targeting/compiled-rule.ts); the rest through json-logic-js.
  const compiled = compiledAudience(rule);
  if (compiled !== null) {
    try {
      return truthy(compiled(context, (key) => evolvdVars(vars)[key]));
    } catch {
      return false;
    }
  }
  try {
    // The context is the prototype, not copied: lookups read through to its keys at no cost
    // per key, and `$evolvd`, an own property, always wins over a context key of that name.
    const base = context !== null && typeof context === "object" ? context : null;
    const data: unknown = Object.create(base, { $evolvd: { value: evolvdVars(vars), enumerable: true } });
    return jsonLogic.truthy(jsonLogic.apply(rule as RulesLogic, data));
  } catch {
    return false;
  }
}

/** `$evolvd` as a rule reads it: unix seconds like `$flagd.timestamp`, and UTC hour and weekday. */
function evolvdVars(vars: EvolvdVars): Record<string, number | string> {
  const day = Math.floor(vars.now / 86_400_000);
  return {
    timestamp: Math.floor(vars.now / 1000),
    target: vars.target,
    hourUtc: Math.floor((vars.now - day * 86_400_000) / 3_600_000),
    // 1970-01-01 was a Thursday (4).
    weekdayUtc: (((day + 4) % 7) + 7) % 7,
  };
}

interface Walk {
  readonly problems: string[];
  nodes: number;
  tooBig: boolean;
}

/** Checks one value and returns its frozen copy (so a caller's later edit cannot change a rule). */
function check(value: unknown, path: string, depth: number, walk: Walk): AudienceRule | undefined {
  if (walk.tooBig) return undefined;
  walk.nodes += 1;
  if (walk.nodes > MAX_NODES || depth > MAX_DEPTH) {
    walk.tooBig = true;
    walk.problems.push(walk.nodes > MAX_NODES ? `${path}: the rule has more than ${MAX_NODES} nodes` : `${path}: the rule is nested deeper than ${MAX_DEPTH} levels`);
    return undefined;
  }
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      walk.problems.push(`${path}: not a JSON value (${value})`);
      return undefined;
    case "object":
      if (value === null) return null;
      if (Array.isArray(value)) return Object.freeze(value.map((item, i) => check(item, `${path}[${i}]`, depth + 1, walk))) as AudienceRule;
      return checkOperation(value, path, depth, walk);
    default:
      walk.problems.push(`${path}: not a JSON value (${typeof value})`);
      return undefined;
  }
}

function checkOperation(value: object, path: string, depth: number, walk: Walk): AudienceRule | undefined {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    walk.problems.push(`${path}: not a JSON value (${value.constructor?.name ?? "object"})`);
    return undefined;
  }
  const keys = Object.keys(value);
  const op = keys[0];
  if (op === undefined || keys.length !== 1) {
    walk.problems.push(`${path}: an operation must have exactly one operator key, found ${keys.length}${keys.length > 0 ? ` (${keys.join(", ")})` : ""}`);
    return undefined;
  }
  if (!OPERATORS.has(op)) {
    walk.problems.push(`${path}: unknown operator "${op}"`);
    return undefined;
  }
  const raw: unknown = (value as Record<string, unknown>)[op];
  const at = `${path}.${op}`;
  // Arguments are one level below their operator; the argument list itself is no level.
  const args = Array.isArray(raw) ? raw.map((arg, i) => check(arg, `${at}[${i}]`, depth + 1, walk)) : [check(raw, at, depth + 1, walk)];
  if (walk.tooBig) return undefined;
  checkArguments(op, args, Array.isArray(raw), at, walk.problems);
  const copy = Array.isArray(raw) ? Object.freeze(args) : args[0];
  return Object.freeze({ [op]: copy }) as AudienceRule;
}

/** Operator-specific checks of literal arguments: what can be known before any context. */
function checkArguments(op: string, args: readonly (AudienceRule | undefined)[], list: boolean, at: string, problems: string[]): void {
  const argAt = (i: number): string => (list ? `${at}[${i}]` : at);
  switch (op) {
    case "var":
      if (args.length > 2) problems.push(`${at}: takes a path and an optional default, found ${args.length} arguments`);
      checkPath(args[0], argAt(0), problems);
      return;
    case "missing":
    case "missing_some": {
      const keys = op === "missing" ? args : [args[1]];
      keys.forEach((key, i) => {
        const keyAt = op === "missing" ? argAt(i) : argAt(1);
        if (Array.isArray(key)) key.forEach((k, j) => checkPath(k, `${keyAt}[${j}]`, problems));
        else checkPath(key, keyAt, problems);
      });
      return;
    }
    case "starts_with":
    case "ends_with":
      if (args.length !== 2) problems.push(`${at}: takes exactly 2 arguments (a value and a string), found ${args.length}`);
      return;
    case "sem_ver": {
      if (args.length !== 3) {
        problems.push(`${at}: takes exactly 3 arguments (a version, an operator, a version), found ${args.length}`);
        return;
      }
      const [, operator, version] = args;
      if (isLiteral(operator) && (typeof operator !== "string" || !SEMVER_OPERATORS.has(operator))) problems.push(`${argAt(1)}: unknown sem_ver operator ${JSON.stringify(operator)}; expected one of ${[...SEMVER_OPERATORS].join(" ")}`);
      if (isLiteral(version) && (typeof version !== "string" || parseSemVer(version) === null)) problems.push(`${argAt(2)}: ${JSON.stringify(version)} is not a semantic version (like "1.2.0")`);
      return;
    }
    default:
      return;
  }
}

function isLiteral(value: AudienceRule | undefined): boolean {
  return value === null || typeof value !== "object" || Array.isArray(value);
}

/** A literal `var` path must stay on the context's own data; computed paths are checked by nothing but json-logic-js's read-only walk. */
function checkPath(path: AudienceRule | undefined, at: string, problems: string[]): void {
  if (typeof path !== "string") return;
  const segments = path.split(".");
  const forbidden = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (forbidden !== undefined) problems.push(`${at}: path "${path}" may not contain "${forbidden}"`);
  else if (segments[0] === "$evolvd" && segments.length > 1 && (segments.length > 2 || !EVOLVD_KEYS.has(segments[1] ?? ""))) {
    problems.push(`${at}: unknown variable "${path}"; $evolvd has ${[...EVOLVD_KEYS].join(", ")}`);
  }
}

interface SemVer {
  readonly core: readonly [number, number, number];
  readonly pre: readonly string[];
}

// MAJOR[.MINOR[.PATCH]][-pre][+build], an optional leading "v": what flagd's Go evaluator accepts
// (golang.org/x/mod/semver); missing parts are 0.
const SEMVER = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parseSemVer(text: string): SemVer | null {
  const m = SEMVER.exec(text);
  if (m === null) return null;
  const core = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] as const;
  if (!core.every(Number.isSafeInteger)) return null;
  return { core, pre: m[4] === undefined ? [] : m[4].split(".") };
}

/** Precedence as semver.org §11: core numerically, then a release above its pre-releases, then identifier by identifier. */
function compareSemVer(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.core[i] ?? 0) - (b.core[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] ?? "";
    const y = b.pre[i] ?? "";
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return Math.sign(Number(x) - Number(y));
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

/** flagd's sem_ver: `^` matches the major version, `~` the major and minor; anything unparsable is false. */
function semVerOperation(left: unknown, operator: unknown, right: unknown): boolean {
  if (typeof left !== "string" || typeof right !== "string" || typeof operator !== "string") return false;
  const a = parseSemVer(left);
  const b = parseSemVer(right);
  if (a === null || b === null) return false;
  const c = compareSemVer(a, b);
  switch (operator) {
    case "=": return c === 0;
    case "!=": return c !== 0;
    case "<": return c < 0;
    case "<=": return c <= 0;
    case ">": return c > 0;
    case ">=": return c >= 0;
    case "^": return a.core[0] === b.core[0];
    case "~": return a.core[0] === b.core[0] && a.core[1] === b.core[1];
    default: return false;
  }
}

// The operators live in json-logic-js's one module-wide table: the marker on the library object
// keeps a second copy of this module (a test runner's, a bundler's) from registering them again.
const REGISTERED = Symbol.for("evolvd.targeting.operations");
const library = jsonLogic as typeof jsonLogic & { [REGISTERED]?: true };
if (library[REGISTERED] !== true) {
  jsonLogic.add_operation("starts_with", (value: unknown, prefix: unknown) => typeof value === "string" && typeof prefix === "string" && value.startsWith(prefix));
  jsonLogic.add_operation("ends_with", (value: unknown, suffix: unknown) => typeof value === "string" && typeof suffix === "string" && value.endsWith(suffix));
  jsonLogic.add_operation("sem_ver", semVerOperation);
  // A rule that skipped compileRule (restored from an old snapshot) still cannot write to the
  // console from the hot path: without `log` it fails, which `matches` turns into false.
  jsonLogic.rm_operation("log");
  library[REGISTERED] = true;
}
