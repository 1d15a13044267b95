import { dirname, resolve } from "node:path";
import { fileProblem, parseJsonObject, readTextFile, type FileProblem } from "../config/json-file.js";
import { err, ok, type Result } from "../domain/result.js";
import type { SchemaLeaf, Target } from "../domain/target.js";
import type { KpiModel, ResponseModel, Segment, Term } from "./response-model.js";

/** A validated scenario file (format: docs/scenario-file.md). */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Absolute path of the target file it optimizes. */
  readonly targetFile: string;
  readonly seed: string;
  /** Overrides of the target's policy for this simulation (e.g. maxGenerations). */
  readonly policy: Readonly<Record<string, unknown>>;
  readonly traffic: Traffic;
  /** Truth of the simulated world; null for a replay. */
  readonly model: ResponseModel | null;
  /** The model screening sees (a digital twin may be imperfect); defaults to `model`. */
  readonly screeningModel: ResponseModel | null;
  /** Absolute path of a recorded NDJSON stream to replay instead of generating traffic. */
  readonly replay: string | null;
  readonly file: string;
}

export interface Traffic {
  /** Mean arrivals per second of virtual time (Poisson). */
  readonly visitsPerSecond: number;
  /** Distinct units that visit (returning units keep their arm: stickiness is exercised). */
  readonly population: number;
  /** Virtual hours after which the run stops even if generations remain. */
  readonly maxHours: number;
  readonly segments: readonly Segment[];
}

const TOP = ["name", "description", "target", "seed", "policy", "traffic", "model", "screeningModel", "replay"];

export function loadScenarioFile(file: string): Result<Scenario, FileProblem> {
  const text = readTextFile(file);
  return text.ok ? parseScenario(text.value, resolve(file)) : text;
}

export function parseScenario(text: string, file: string): Result<Scenario, FileProblem> {
  const parsed = parseJsonObject(text, file);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!TOP.includes(key)) problems.push(`unknown top-level field "${key}"`);
  if (typeof doc.name !== "string" || doc.name.length === 0) problems.push("name: must be a non-empty string");
  if (typeof doc.target !== "string") problems.push("target: must be the path of a target file, relative to this file");
  if (doc.seed !== undefined && typeof doc.seed !== "number" && typeof doc.seed !== "string") problems.push("seed: must be a number or string");
  if (doc.policy !== undefined && (doc.policy === null || typeof doc.policy !== "object" || Array.isArray(doc.policy))) problems.push("policy: must be an object of policy overrides");
  const traffic = parseTraffic(doc.traffic, problems);
  const replay = doc.replay === undefined || doc.replay === null ? null : doc.replay;
  if (replay !== null && typeof replay !== "string") problems.push("replay: must be the path of an NDJSON file");
  const model = doc.model === undefined ? null : parseModel(doc.model, "model", problems);
  const screeningModel = doc.screeningModel === undefined ? model : parseModel(doc.screeningModel, "screeningModel", problems);
  if (model === null && replay === null) problems.push("model: a scenario needs a response model, or a replay file");
  if (problems.length) return err(fileProblem(file, problems));
  const here = dirname(file);
  return ok({
    name: doc.name as string,
    description: typeof doc.description === "string" ? doc.description : "",
    targetFile: resolve(here, doc.target as string),
    seed: String(doc.seed ?? "1"),
    policy: (doc.policy as Record<string, unknown> | undefined) ?? {},
    traffic,
    model,
    screeningModel,
    replay: replay === null ? null : resolve(here, replay as string),
    file,
  });
}

function parseTraffic(raw: unknown, problems: string[]): Traffic {
  const fallback: Traffic = { visitsPerSecond: 1, population: 1, maxHours: 1, segments: [{ name: "all", share: 1, attributes: {} }] };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    problems.push("traffic: must be an object {visitsPerSecond, population, maxHours, segments}");
    return fallback;
  }
  const t = raw as Record<string, unknown>;
  const positive = (key: string, max: number): number => {
    const value = t[key];
    if (typeof value !== "number" || !(value > 0 && value <= max)) {
      problems.push(`traffic.${key}: must be a number in (0, ${max}]`);
      return 1;
    }
    return value;
  };
  const visitsPerSecond = positive("visitsPerSecond", 1e5);
  const population = Math.floor(positive("population", 1e8));
  const maxHours = positive("maxHours", 24 * 365);
  let segments: Segment[] = fallback.segments as Segment[];
  if (t.segments !== undefined) {
    if (!Array.isArray(t.segments) || t.segments.length === 0) problems.push("traffic.segments: must be a non-empty array");
    else {
      segments = t.segments.map((s, i) => {
        const seg = (s ?? {}) as Record<string, unknown>;
        if (typeof seg.name !== "string" || !seg.name) problems.push(`traffic.segments[${i}].name: must be a non-empty string`);
        if (typeof seg.share !== "number" || !(seg.share > 0)) problems.push(`traffic.segments[${i}].share: must be a positive number`);
        return { name: String(seg.name), share: Number(seg.share), attributes: (seg.attributes as Record<string, string>) ?? {} };
      });
      const total = segments.reduce((a, s) => a + s.share, 0);
      if (Math.abs(total - 1) > 1e-9) problems.push(`traffic.segments: shares must sum to 1 (they sum to ${total})`);
    }
  }
  return { visitsPerSecond, population, maxHours, segments };
}

function parseModel(raw: unknown, where: string, problems: string[]): ResponseModel | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length === 0) {
    problems.push(`${where}: must be an object of KPI name → model`);
    return null;
  }
  const model: Record<string, KpiModel> = {};
  for (const [kpi, spec] of Object.entries(raw as Record<string, unknown>)) {
    const at = `${where}.${kpi}`;
    if (!/^[a-z][a-z0-9_]*$/.test(kpi)) problems.push(`${at}: KPI names are snake_case`);
    const m = (spec ?? {}) as Record<string, unknown>;
    if (!["bernoulli", "normal", "lognormal"].includes(m.distribution as string)) problems.push(`${at}.distribution: must be bernoulli, normal or lognormal`);
    if (typeof m.intercept !== "number") problems.push(`${at}.intercept: must be a number`);
    if (m.sd !== undefined && (typeof m.sd !== "number" || !(m.sd > 0))) problems.push(`${at}.sd: must be a positive number`);
    const terms = m.terms ?? [];
    if (!Array.isArray(terms)) problems.push(`${at}.terms: must be an array`);
    else terms.forEach((term, i) => checkTerm(term, `${at}.terms[${i}]`, problems));
    model[kpi] = m as unknown as KpiModel;
  }
  return model;
}

function checkTerm(raw: unknown, at: string, problems: string[]): void {
  const term = (raw ?? {}) as Record<string, unknown>;
  if (typeof term.path !== "string") problems.push(`${at}.path: must name a setting`);
  const kinds = ["linear", "quadratic", "ifTrue", "levels", "dot"].filter((k) => k in term);
  if (kinds.length !== 1) problems.push(`${at}: needs exactly one of linear, quadratic, ifTrue, levels, dot`);
}

/** Checks a scenario's model paths against the target's schema: each term must fit its setting. */
export function checkAgainstTarget(scenario: Scenario, target: Target): string[] {
  const problems: string[] = [];
  const leaves = new Map(target.schema.map((leaf) => [leaf.path, leaf]));
  const kpis = [target.policy.primary.kpi, ...target.policy.guardrails.map((g) => g.kpi)];
  for (const [where, model] of [["model", scenario.model], ["screeningModel", scenario.screeningModel]] as const) {
    if (!model) continue;
    for (const kpi of kpis) if (!(kpi in model)) problems.push(`${where}: has no model for the target's KPI "${kpi}"`);
    for (const [kpi, m] of Object.entries(model))
      (m.terms ?? []).forEach((term, i) => {
        const broken = termFits(term, leaves.get(term.path));
        if (broken) problems.push(`${where}.${kpi}.terms[${i}]: ${broken}`);
      });
  }
  return problems;
}

function termFits(term: Term, leaf: SchemaLeaf | undefined): string | null {
  if (!leaf) return `"${term.path}" is not a setting of the target`;
  const numeric = leaf.kind === "integer" || leaf.kind === "number";
  if (("linear" in term || "quadratic" in term) && !numeric) return `linear/quadratic terms need a numeric setting`;
  if ("ifTrue" in term && leaf.kind !== "boolean") return "ifTrue needs a Boolean setting";
  if ("levels" in term && leaf.kind !== "enum" && leaf.kind !== "function") return "levels need an enum or function setting";
  if ("dot" in term && (leaf.kind !== "weights" || term.dot.length !== leaf.length)) return "dot needs a weights setting of the same length";
  return null;
}
