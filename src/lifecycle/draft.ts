import { versionIdOf } from "../config/canonical.js";
import { validateValues } from "../config/schema.js";
import type { HistoryEntry } from "../domain/history.js";
import { problem, type Problem } from "../domain/result.js";
import { diffValues, mergeValues, type ConfigValues, type JsonValue } from "../domain/values.js";
import type { Version } from "../domain/version.js";
import { log, type Effect } from "./effects.js";
import type { StepContext } from "./inputs.js";
import type { TargetState } from "./state.js";

/** What a draft step returns: the state with the draft kept, or a refusal that changed nothing. */
export interface Drafted {
  readonly state: TargetState;
  readonly effects: Effect[];
  readonly refused?: Problem;
}

/**
 * An operator's candidate: `change` (every setting, or only those it changes) laid over the
 * baseline, checked against the schema, content-addressed like any version, and kept as a
 * draft — recorded in the history — until the next generation takes it: it is then screened and
 * ramped like the mutation engine's candidates (taking one of the generation's
 * `candidatesPerGeneration` slots, and going live ahead of them if it passes screening). Drafts
 * wait while an experiment is live, a kill switch holds the target or a schedule keeps it idle.
 */
export function draft(state: TargetState, change: ConfigValues, note: string, now: number, ctx: StepContext, share?: number): Drafted {
  const { target } = ctx;
  const refuse = (code: string, message: string): Drafted => ({ state, effects: [], refused: problem(code, message) });
  if (state.kind === "done") return refuse("target_done", `target "${target.name}" has run its maxGenerations: no generation will take a draft`);
  // A fixed share leaves the baseline at least its floor (policy.allocation.baselineFloor).
  const most = 1 - target.policy.allocation.baselineFloor;
  if (share !== undefined && !(share > 0 && share <= most)) return refuse("invalid_share", `share must be in (0, ${most}] (the baseline keeps policy.allocation.baselineFloor), got ${share}`);
  const values = mergeValues(state.baseline.values, change);
  const broken = validateValues(target.schema, target.functions, values);
  if (broken.length) return refuse("invalid_candidate", `the candidate does not fit the schema of "${target.name}": ${broken.join("; ")}`);
  const id = versionIdOf(values);
  if (id === state.baseline.id) return refuse("already_baseline", `the candidate is the baseline of "${target.name}" (${id})`);
  if (state.drafts.includes(id)) return refuse("already_draft", `${id} is already a draft of "${target.name}"`);
  if (state.drafts.length >= target.policy.candidatesPerGeneration)
    return refuse("too_many_drafts", `"${target.name}" already has ${state.drafts.length} drafts, as many as a generation takes (candidatesPerGeneration)`);
  // A version tried before is tried again as it was (its lineage is kept); a new one is the baseline's child.
  const known = state.versions.get(id);
  const version: Version = known ?? {
    id,
    target: target.name,
    values,
    parent: state.baseline.id,
    mutations: diffValues(state.baseline.values, values).map((c) => ({ path: c.path, op: "edit", from: c.from ?? null, to: (c.to ?? null) as JsonValue })),
    seed: null,
    generation: state.generation + 1,
    createdAt: now,
  };
  const entries: HistoryEntry[] = [...(known ? [] : [{ kind: "version", at: now, version } as const]), { kind: "draft", at: now, version: id, note, ...(share === undefined ? {} : { share }) }];
  const versions = known ? state.versions : new Map(state.versions).set(id, version);
  const shares = new Map(state.shares);
  if (share === undefined) shares.delete(id);
  else shares.set(id, share);
  return {
    state: { ...state, versions, drafts: [...state.drafts, id], shares },
    effects: [{ kind: "append", entries }, log("info", { target: target.name, version: id, note, changes: version.mutations.map((m) => m.path), ...(share === undefined ? {} : { share }) }, "candidate drafted"), { kind: "count", decision: "draft", cause: "operator" }],
  };
}
