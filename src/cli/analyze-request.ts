import { Type, type Static } from "@sinclair/typebox";
import { betaPosterior, type BanditEngine } from "../bandit/posterior.js";
import { compile, StringEnum } from "../config/validate.js";
import { benjaminiHochberg, holm } from "../stats/adjust.js";
import { compare, compareEffect } from "../stats/compare.js";
import { cupedEstimates } from "../stats/cuped.js";
import { stratifiedUnitEffect } from "../stats/stratified.js";
import { mannWhitney } from "../stats/mann-whitney.js";
import { fromSuccesses, type Moments } from "../stats/moments.js";
import { srmTest } from "../stats/srm.js";

/**
 * `evolvd analyze`: evolvd's statistics on numbers exported from elsewhere. The request holds
 * any of the sections compare, srm, adjust, mannWhitney, bandit; the answer has one entry per
 * section given. Every rule broken is reported with its field path; nothing is answered then.
 *
 * The request is a TypeBox schema validated by ajv through `compile()` (no coercion, unknown
 * fields refused, defaults filled); the rules between fields (successes ≤ n, one weight per
 * count) are code, run on the raw request too so that one pass lists every problem.
 */
const MAX_DRAWS = 10_000_000;
const object = { additionalProperties: false } as const;
const numbers = (minItems: number, bounds: { minimum?: number; maximum?: number } = {}) =>
  Type.Array(Type.Number(bounds), { minItems, rule: `must be an array of at least ${minItems} number${minItems === 1 ? "" : "s"}` });

/** The units of a ratio arm that have a pre-exposure covariate x, with its sums (CUPED). */
const Returning = Type.Object(
  {
    n: Type.Integer({ minimum: 0, rule: "must be a non-negative integer" }),
    sum: Type.Number(),
    sumSquares: Type.Number({ minimum: 0, rule: "must be a non-negative number" }),
    den: Type.Number({ minimum: 0, rule: "must be a non-negative number" }),
    denSquares: Type.Number({ minimum: 0, rule: "must be a non-negative number" }),
    cross: Type.Number(),
    pre: Type.Number({ description: "Σx over these units." }),
    preSquares: Type.Number({ minimum: 0, rule: "must be a non-negative number", description: "Σx²." }),
    preCross: Type.Number({ description: "Σx·y." }),
    preDen: Type.Number({ description: "Σx·d." }),
  },
  { additionalProperties: false, description: "A ratio arm's units that have a covariate (part of the arm): CUPED-adjusted when every arm gives them." },
);

const CompareArm = Type.Object(
  {
    name: Type.Optional(Type.String()),
    n: Type.Integer({ minimum: 0, rule: "must be a non-negative integer" }),
    successes: Type.Optional(Type.Integer({ minimum: 0, rule: "must be an integer in [0, n]", description: "A proportion arm's successes." })),
    sum: Type.Optional(Type.Number({ description: "A mean arm's sum of values." })),
    sumSquares: Type.Optional(Type.Number({ minimum: 0, rule: "must be a non-negative number", description: "A mean arm's sum of squared values." })),
    den: Type.Optional(Type.Number({ minimum: 0, rule: "must be a non-negative number", description: "A ratio arm's sum over units of their denominators." })),
    denSquares: Type.Optional(Type.Number({ minimum: 0, rule: "must be a non-negative number", description: "A ratio arm's sum of squared per-unit denominators." })),
    cross: Type.Optional(Type.Number({ description: "A ratio arm's sum over units of numerator × denominator." })),
    returning: Type.Optional(Returning),
  },
  object,
);
const Compare = Type.Object(
  {
    alpha: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05 }),
    relative: Type.Boolean({ default: false }),
    kind: StringEnum(["mean", "proportion", "ratio"] as const, { default: "mean", description: "ratio: per-unit aggregates (n units, sums of y, y², d, d², y·d), analysed with the delta method." }),
    direction: StringEnum(["increase", "decrease"] as const, { default: "increase" }),
    sequential: Type.Optional(Type.Object({ tuning: Type.Number({ exclusiveMinimum: 0, rule: "must be a positive number (N*)" }) }, object)),
    prior: Type.Optional(Type.Object({ mean: Type.Number(), variance: Type.Number({ exclusiveMinimum: 0, rule: "must be a positive number" }) }, object)),
    arms: Type.Array(CompareArm, { minItems: 2, rule: "must list the control first and at least one treatment" }),
  },
  object,
);
const BanditArm = Type.Object(
  { successes: Type.Integer({ minimum: 0, rule: "must be an integer in [0, trials]" }), trials: Type.Integer({ minimum: 0, rule: "must be a non-negative integer" }) },
  object,
);
const RequestSchema = Type.Object(
  {
    compare: Type.Optional(Compare),
    srm: Type.Optional(Type.Object({ observed: numbers(2, { minimum: 0 }), weights: numbers(2, { minimum: 0 }) }, object)),
    adjust: Type.Optional(Type.Object({ method: StringEnum(["holm", "bh"] as const), pValues: numbers(1, { minimum: 0, maximum: 1 }) }, object)),
    mannWhitney: Type.Optional(Type.Object({ x: numbers(1), y: numbers(1) }, object)),
    bandit: Type.Optional(
      Type.Object(
        {
          arms: Type.Array(BanditArm, { minItems: 2, rule: "must list at least two arms" }),
          draws: Type.Integer({ minimum: 1, maximum: MAX_DRAWS, default: 100_000 }),
          seed: Type.Integer({ minimum: 0, maximum: 0xffffffff, default: 1, rule: "must be an integer in [0, 2^32)" }),
        },
        object,
      ),
    ),
  },
  object,
);
type Request = Static<typeof RequestSchema>;
const SECTIONS = Object.keys(RequestSchema.properties);
const checkRequest = compile(RequestSchema, "");

export function answer(request: unknown, engine: BanditEngine): { ok: true; value: Record<string, unknown> } | { ok: false; problems: string[] } {
  if (!isObject(request)) return { ok: false, problems: ["the input must be a JSON object"] };
  const checked = checkRequest(request);
  const problems = checked.ok ? [] : [...checked.problems];
  if (!Object.keys(request).some((k) => SECTIONS.includes(k))) problems.push(`the input names no section (expected ${SECTIONS.join(", ")})`);
  problems.push(...crossFieldProblems(checked.ok ? checked.value : request));
  if (!checked.ok || problems.length) return { ok: false, problems };
  const req: Request = checked.value;
  const out: Record<string, unknown> = {};
  if (req.compare) out.compare = answerCompare(req.compare, problems);
  if (req.srm) out.srm = srmTest(req.srm.observed, req.srm.weights);
  if (req.adjust) out.adjust = { adjusted: req.adjust.method === "holm" ? holm(req.adjust.pValues) : benjaminiHochberg(req.adjust.pValues) };
  if (req.mannWhitney) out.mannWhitney = mannWhitney(req.mannWhitney.x, req.mannWhitney.y);
  // The WebAssembly kernel (or its twin, which gives the same numbers).
  if (req.bandit) out.bandit = { probabilityBest: engine.probabilityBest(req.bandit.arms.map((a) => betaPosterior(a.successes, a.trials)), req.bandit.draws, req.bandit.seed) };
  return problems.length ? { ok: false, problems } : { ok: true, value: out };
}

function answerCompare(c: Static<typeof Compare>, problems: string[]): unknown {
  if (c.kind === "ratio") return answerRatio(c, problems);
  const kind = c.kind;
  const arms = c.arms.map((a, i): { name: string; moments: Moments } => ({
    name: a.name ?? `arm${i}`,
    moments: a.successes !== undefined ? fromSuccesses(a.n, a.successes) : { n: a.n, sum: a.sum as number, sumSquares: a.sumSquares as number },
  }));
  const [control, ...treatments] = arms;
  return treatments.map((t, i) => {
    const r = compare(control!.moments, t.moments, {
      kind,
      direction: c.direction,
      relative: c.relative,
      alpha: c.alpha,
      ...(c.sequential ? { sequentialTuning: c.sequential.tuning } : {}),
      ...(c.prior ? { prior: { mean: c.prior.mean, variance: c.prior.variance } } : {}),
    });
    if (!r) {
      problems.push(`compare.arms[${i + 1}]: cannot be compared (each arm needs n ≥ 2, and a relative effect a non-zero control mean)`);
      return null;
    }
    return { arm: t.name, effect: r.effect, se: r.se, df: r.df, ci: r.ci, pValue: r.pValue, chanceToWin: r.chanceToWin, expectedLoss: r.expectedLoss };
  });
}

/** Ratio arms: per-unit aggregates, the stratified unit effect of the daemon with one stratum. */
function answerRatio(c: Static<typeof Compare>, problems: string[]): unknown {
  const arms = c.arms.map((a, i) => ({ name: a.name ?? `arm${i}`, moments: { n: a.n, sum: a.sum as number, sumSquares: a.sumSquares as number, den: a.den as number, denSquares: a.denSquares as number, cross: a.cross as number } }));
  const [control, ...treatments] = arms;
  return treatments.map((t, i) => {
    const [a, b] = [c.arms[0]?.returning, c.arms[i + 1]?.returning];
    const e = stratifiedUnitEffect([a && b ? { control: control!.moments, treatment: t.moments, returning: { control: a, treatment: b } } : { control: control!.moments, treatment: t.moments }], c.relative);
    if (!e) {
      problems.push(`compare.arms[${i + 1}]: cannot be compared (each arm needs n ≥ 2 units and a positive den, a relative effect a non-zero control ratio)`);
      return null;
    }
    const r = compareEffect(e, { kind: "mean", direction: c.direction, relative: c.relative, alpha: c.alpha, ...(c.sequential ? { sequentialTuning: c.sequential.tuning } : {}), ...(c.prior ? { prior: { mean: c.prior.mean, variance: c.prior.variance } } : {}) });
    const cuped = a && b ? { theta: cupedEstimates(a, b)?.theta ?? null } : {};
    return { arm: t.name, effect: r.effect, se: r.se, df: r.df, ci: r.ci, pValue: r.pValue, chanceToWin: r.chanceToWin, expectedLoss: r.expectedLoss, controlRatio: e.controlMean, treatmentRatio: e.treatmentMean, ...cuped };
  });
}

/** The request as written, before the schema vouched for it: every field may be anything. */
type Raw = { readonly [key: string]: any };
const isObject = (x: unknown): x is Raw => x !== null && typeof x === "object" && !Array.isArray(x);
const objects = (x: unknown): Raw[] => (Array.isArray(x) ? x.map((a) => (isObject(a) ? a : {})) : []);
const num = (x: unknown): number => (typeof x === "number" ? x : NaN);

/** Successes within trials, the fields an arm's kind needs, one weight per count. */
function crossFieldProblems(req: Raw): string[] {
  const problems: string[] = [];
  if (isObject(req.compare)) {
    const proportion = req.compare.kind === "proportion";
    objects(req.compare.arms).forEach((a, i) => {
      const at = `compare.arms[${i}]`;
      if (num(a.successes) > num(a.n)) problems.push(`${at}.successes: must be an integer in [0, n]`);
      if (a.returning !== undefined && req.compare.kind !== "ratio") problems.push(`${at}.returning: only a ratio arm has covariate sums (CUPED)`);
      if (req.compare.kind === "ratio") {
        for (const field of ["sum", "sumSquares", "den", "denSquares", "cross"]) if (a[field] === undefined) problems.push(`${at}.${field}: is required (a ratio arm gives n, sum, sumSquares, den, denSquares and cross)`);
        return;
      }
      if (a.successes !== undefined) return;
      if (proportion) problems.push(`${at}: a proportion arm needs "successes"`);
      else for (const field of ["sum", "sumSquares"]) if (a[field] === undefined) problems.push(`${at}.${field}: is required (a mean arm gives n, sum and sumSquares)`);
    });
  }
  // Only between lists the schema found long enough: a short list already has its problem.
  const list = (x: unknown): unknown[] => (Array.isArray(x) && x.length >= 2 ? x : []);
  if (isObject(req.srm) && list(req.srm.observed).length && list(req.srm.weights).length) {
    const weights: unknown[] = req.srm.weights;
    if (req.srm.observed.length !== weights.length) problems.push("srm.weights: must have one weight per observed count");
    if (weights.every((w) => typeof w === "number") && !weights.some((w) => num(w) > 0)) problems.push("srm.weights: at least one weight must be positive");
  }
  if (isObject(req.bandit))
    objects(req.bandit.arms).forEach((a, i) => {
      if (num(a.successes) > num(a.trials)) problems.push(`bandit.arms[${i}].successes: must be an integer in [0, trials]`);
    });
  return problems;
}
