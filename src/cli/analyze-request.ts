import { betaPosterior, type BanditEngine } from "../bandit/posterior.js";
import { benjaminiHochberg, holm } from "../stats/adjust.js";
import { compare } from "../stats/compare.js";
import { mannWhitney } from "../stats/mann-whitney.js";
import { fromSuccesses, type Moments } from "../stats/moments.js";
import { srmTest } from "../stats/srm.js";

/**
 * `evolvd analyze`: evolvd's statistics on numbers exported from elsewhere. The request holds
 * any of the sections compare, srm, adjust, mannWhitney, bandit; the answer has one entry per
 * section given. Every rule broken is reported with its field path; nothing is answered then.
 */
export function answer(request: unknown, engine: BanditEngine): { ok: true; value: Record<string, unknown> } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (request === null || typeof request !== "object" || Array.isArray(request)) return { ok: false, problems: ["the input must be a JSON object"] };
  const req = request as Record<string, unknown>;
  const sections = ["compare", "srm", "adjust", "mannWhitney", "bandit"];
  for (const key of Object.keys(req)) if (!sections.includes(key)) problems.push(`${key}: unknown section (expected ${sections.join(", ")})`);
  if (!Object.keys(req).some((k) => sections.includes(k))) problems.push(`the input names no section (expected ${sections.join(", ")})`);
  const out: Record<string, unknown> = {};
  const v = new Validator(problems);
  if (req.compare !== undefined) out.compare = answerCompare(v.object(req.compare, "compare"), v);
  if (req.srm !== undefined) {
    const s = v.object(req.srm, "srm");
    const observed = v.numbers(s.observed, "srm.observed", { min: 0, minLength: 2 });
    const weights = v.numbers(s.weights, "srm.weights", { min: 0, minLength: 2 });
    if (observed && weights && observed.length !== weights.length) problems.push("srm.weights: must have one weight per observed count");
    if (weights && !weights.some((w) => w > 0)) problems.push("srm.weights: at least one weight must be positive");
    if (observed && weights && observed.length === weights.length) out.srm = srmTest(observed, weights);
  }
  if (req.adjust !== undefined) {
    const a = v.object(req.adjust, "adjust");
    const method = a.method;
    if (method !== "holm" && method !== "bh") problems.push('adjust.method: must be "holm" or "bh"');
    const pValues = v.numbers(a.pValues, "adjust.pValues", { min: 0, max: 1, minLength: 1 });
    if (pValues && (method === "holm" || method === "bh")) out.adjust = { adjusted: method === "holm" ? holm(pValues) : benjaminiHochberg(pValues) };
  }
  if (req.mannWhitney !== undefined) {
    const m = v.object(req.mannWhitney, "mannWhitney");
    const x = v.numbers(m.x, "mannWhitney.x", { minLength: 1 });
    const y = v.numbers(m.y, "mannWhitney.y", { minLength: 1 });
    if (x && y) out.mannWhitney = mannWhitney(x, y);
  }
  if (req.bandit !== undefined) out.bandit = answerBandit(v.object(req.bandit, "bandit"), v, engine);
  return problems.length ? { ok: false, problems } : { ok: true, value: out };
}

function answerCompare(c: Record<string, unknown>, v: Validator): unknown {
  const alpha = c.alpha ?? 0.05;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha < 1)) v.problems.push("compare.alpha: must be in (0, 1)");
  const kind = c.kind ?? "mean";
  if (kind !== "mean" && kind !== "proportion") v.problems.push('compare.kind: must be "mean" or "proportion"');
  const direction = c.direction ?? "increase";
  if (direction !== "increase" && direction !== "decrease") v.problems.push('compare.direction: must be "increase" or "decrease"');
  if (c.relative !== undefined && typeof c.relative !== "boolean") v.problems.push("compare.relative: must be true or false");
  let tuning: number | undefined;
  if (c.sequential !== undefined) {
    const s = v.object(c.sequential, "compare.sequential");
    if (typeof s.tuning !== "number" || !(s.tuning > 0)) v.problems.push("compare.sequential.tuning: must be a positive number (N*)");
    else tuning = s.tuning;
  }
  let prior: { mean: number; variance: number } | undefined;
  if (c.prior !== undefined) {
    const p = v.object(c.prior, "compare.prior");
    if (typeof p.mean !== "number" || !Number.isFinite(p.mean)) v.problems.push("compare.prior.mean: must be a number");
    if (typeof p.variance !== "number" || !(p.variance > 0)) v.problems.push("compare.prior.variance: must be a positive number");
    prior = { mean: p.mean as number, variance: p.variance as number };
  }
  if (!Array.isArray(c.arms) || c.arms.length < 2) {
    v.problems.push("compare.arms: must list the control first and at least one treatment");
    return undefined;
  }
  const arms = c.arms.map((raw, i) => readArm(raw, `compare.arms[${i}]`, kind === "proportion", v));
  if (v.problems.length) return undefined;
  const [control, ...treatments] = arms as { name: string; moments: Moments }[];
  return treatments.map((t, i) => {
    const r = compare(control!.moments, t.moments, {
      kind: kind as "mean" | "proportion",
      direction: direction as "increase" | "decrease",
      relative: c.relative === true,
      alpha: alpha as number,
      ...(tuning === undefined ? {} : { sequentialTuning: tuning }),
      ...(prior ? { prior } : {}),
    });
    if (!r) {
      v.problems.push(`compare.arms[${i + 1}]: cannot be compared (each arm needs n ≥ 2, and a relative effect a non-zero control mean)`);
      return null;
    }
    return { arm: t.name, effect: r.effect, se: r.se, df: r.df, ci: r.ci, pValue: r.pValue, chanceToWin: r.chanceToWin, expectedLoss: r.expectedLoss };
  });
}

function readArm(raw: unknown, at: string, proportion: boolean, v: Validator): { name: string; moments: Moments } | null {
  const a = v.object(raw, at);
  const name = typeof a.name === "string" ? a.name : `arm${at.match(/\d+/)?.[0] ?? ""}`;
  const n = a.n;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    v.problems.push(`${at}.n: must be a non-negative integer`);
    return null;
  }
  if ("successes" in a) {
    const s = a.successes;
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0 || s > n) {
      v.problems.push(`${at}.successes: must be an integer in [0, n]`);
      return null;
    }
    return { name, moments: fromSuccesses(n, s) };
  }
  if (proportion) {
    v.problems.push(`${at}: a proportion arm needs "successes"`);
    return null;
  }
  if (typeof a.sum !== "number" || !Number.isFinite(a.sum)) v.problems.push(`${at}.sum: must be a number`);
  if (typeof a.sumSquares !== "number" || !(a.sumSquares >= 0)) v.problems.push(`${at}.sumSquares: must be a non-negative number`);
  return { name, moments: { n, sum: a.sum as number, sumSquares: a.sumSquares as number } };
}

const MAX_DRAWS = 10_000_000;

function answerBandit(b: Record<string, unknown>, v: Validator, engine: BanditEngine): unknown {
  const draws = b.draws ?? 100_000;
  if (typeof draws !== "number" || !Number.isInteger(draws) || draws < 1 || draws > MAX_DRAWS) v.problems.push(`bandit.draws: must be an integer in [1, ${MAX_DRAWS}]`);
  const seed = b.seed ?? 1;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) v.problems.push("bandit.seed: must be an integer in [0, 2^32)");
  if (!Array.isArray(b.arms) || b.arms.length < 2) {
    v.problems.push("bandit.arms: must list at least two arms");
    return undefined;
  }
  const arms = b.arms.map((raw, i) => {
    const a = v.object(raw, `bandit.arms[${i}]`);
    const trials = a.trials;
    const successes = a.successes;
    if (typeof trials !== "number" || !Number.isInteger(trials) || trials < 0) v.problems.push(`bandit.arms[${i}].trials: must be a non-negative integer`);
    if (typeof successes !== "number" || !Number.isInteger(successes) || successes < 0 || (typeof trials === "number" && successes > trials))
      v.problems.push(`bandit.arms[${i}].successes: must be an integer in [0, trials]`);
    return betaPosterior(successes as number, trials as number);
  });
  if (v.problems.length) return undefined;
  // The WebAssembly kernel (or its twin, which gives the same numbers).
  return { probabilityBest: engine.probabilityBest(arms, draws as number, seed as number) };
}

class Validator {
  constructor(readonly problems: string[]) {}

  object(raw: unknown, at: string): Record<string, unknown> {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      this.problems.push(`${at}: must be an object`);
      return {};
    }
    return raw as Record<string, unknown>;
  }

  numbers(raw: unknown, at: string, rule: { min?: number; max?: number; minLength: number }): number[] | null {
    if (!Array.isArray(raw) || raw.length < rule.minLength) {
      this.problems.push(`${at}: must be an array of at least ${rule.minLength} number${rule.minLength === 1 ? "" : "s"}`);
      return null;
    }
    const bad = raw.findIndex((x) => typeof x !== "number" || !Number.isFinite(x) || (rule.min !== undefined && x < rule.min) || (rule.max !== undefined && x > rule.max));
    if (bad >= 0) {
      const range = rule.min !== undefined || rule.max !== undefined ? ` in [${rule.min ?? "-∞"}, ${rule.max ?? "∞"}]` : "";
      this.problems.push(`${at}[${bad}]: must be a finite number${range}`);
      return null;
    }
    return raw as number[];
  }
}
