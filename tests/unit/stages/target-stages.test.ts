import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { twinEngine } from "../../../src/bandit/twin.js";
import { DEFAULT_ERROR_HARD_LIMIT, parseTarget } from "../../../src/config/target-file.js";
import type { HistoryEntry } from "../../../src/domain/history.js";
import type { Target } from "../../../src/domain/target.js";
import { propose } from "../../../src/lifecycle/generation.js";
import { restore } from "../../../src/lifecycle/restore.js";
import type { TargetState } from "../../../src/lifecycle/state.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { simulationScreener } from "../../../src/sim/screening.js";
import { CHECKOUT } from "../../helpers.js";

const V1 = "a".repeat(64);
const V2 = "b".repeat(64);
const V3 = "c".repeat(64);

/** checkout with its pricing function bound to a stage, and only substitute in its plan. */
function stageDoc(policy: Record<string, unknown> = {}): Record<string, any> {
  const doc = JSON.parse(readFileSync(CHECKOUT, "utf8"));
  doc.functions.pricing = { stage: "pricing" };
  doc.baseline.pricing.function = V1;
  doc.mutations = [{ path: "pricing.function", op: "substitute", probability: 1 }];
  doc.policy = { ...doc.policy, ...policy, screening: { scenario: null } };
  return doc;
}
const load = (doc: unknown): Target => {
  const parsed = parseTarget(JSON.stringify(doc), "stage.json");
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe("a target file with a stage registry", () => {
  it("binds the setting to the stage and takes stage version ids as its values", () => {
    const target = load(stageDoc());
    expect(target.stages).toEqual({ pricing: "pricing" });
    expect(target.schema.find((l) => l.path === "pricing.function")).toMatchObject({ kind: "function", stage: "pricing" });
  });

  it("refuses a value that is not a version id, and a malformed stage registry, naming them", () => {
    const doc = stageDoc();
    doc.baseline.pricing.function = "pricing.flat";
    doc.functions.other = { stage: "Not A Stage" };
    const parsed = parseTarget(JSON.stringify(doc), "stage.json");
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.error.problems;
    expect(problems).toContainEqual(expect.stringMatching(/^baseline\.pricing\.function: must be a version of stage "pricing"/));
    expect(problems).toContainEqual(expect.stringMatching(/^functions\.other/));
  });

  it("decides on policy.errorKpi: a guardrail with a hard limit unless the policy has one", () => {
    // checkout already guards `error`: it stays as written.
    const own = load(stageDoc());
    expect(own.policy.guardrails.filter((g) => g.kpi === "error")).toHaveLength(1);
    const doc = stageDoc({ errorKpi: "stage_error" });
    const target = load(doc);
    expect(target.policy.guardrails.at(-1)).toEqual({ kpi: "stage_error", kind: "proportion", direction: "decrease", tolerance: 1, hardLimit: DEFAULT_ERROR_HARD_LIMIT, metric: "per_outcome" });
    // Without stages, nothing is added.
    const plain = JSON.parse(readFileSync(CHECKOUT, "utf8"));
    plain.policy.errorKpi = "stage_error";
    expect(load(plain).policy.guardrails.some((g) => g.kpi === "stage_error")).toBe(false);
  });
});

describe("a generation of a stage target", () => {
  const target = load(stageDoc({ candidatesPerGeneration: 2, liveCandidates: 2 }));
  const idle = () => restore({ target, history: [], checkpoint: null, now: 0 }).state as TargetState & { kind: "idle" };
  const ctx = (registry: string[], covered: string[]) => {
    // A screening model that knows V2 (a levels term) and not V3.
    const model = { conversion: { distribution: "bernoulli" as const, intercept: -1.4, terms: [{ path: "pricing.function", levels: Object.fromEntries(covered.map((v) => [v, 0.05])) }] } };
    const screen = simulationScreener(model, [{ name: "all", share: 1, attributes: {} }]);
    return { target, rng: seededRng("stages"), screen, bandit: twinEngine, registries: () => ({ ...target.functions, pricing: registry }) };
  };

  it("proposes nothing, and spends no generation, while no other version is reported", () => {
    const state = idle();
    const out = propose(state, 1, ctx([V1], []));
    expect(out.state).toBe(state);
    expect(out.effects).toEqual([]);
  });

  it("substitutes only reported versions; one no screening model covers skips screening, recorded in the history", () => {
    const out = propose(idle(), 1, ctx([V1, V2, V3], [V2]));
    const entries = out.effects.flatMap((e) => (e.kind === "append" ? e.entries : [])) as HistoryEntry[];
    const proposed = entries.flatMap((e) => (e.kind === "version" ? [e.version.values.pricing as { function: string }] : [])).map((p) => p.function);
    expect(new Set(proposed)).toEqual(new Set([V2, V3]));
    const canary = entries.find((e) => e.kind === "transition" && e.to === "canary");
    const evidence = canary?.kind === "transition" ? (canary.evidence as { skippedScreening?: { stage: string; value: string }[]; screened: { version: string }[] }) : undefined;
    expect(evidence?.skippedScreening).toEqual([expect.objectContaining({ stage: "pricing", path: "pricing.function", value: V3 })]);
    // Both went live at the first canary step: the covered one passed screening, the other skipped it.
    expect(out.state.kind).toBe("live");
    expect(evidence?.screened).toHaveLength(2);
  });
});
