import type { Rng } from "../domain/rng.js";
import type { MutationSpec, SchemaLeaf } from "../domain/target.js";
import { getPath, setPath, type ConfigValues } from "../domain/values.js";
import type { AppliedMutation, Version, VersionId } from "../domain/version.js";
import { operatorFor } from "./operators/index.js";

/** Everything the engine needs, passed in: it does no I/O and reads no clock. */
export interface ProposeInput {
  readonly target: string;
  readonly parent: Version;
  readonly plan: readonly MutationSpec[];
  readonly schema: readonly SchemaLeaf[];
  readonly functions: Readonly<Record<string, readonly string[]>>;
  /** Strict schema check of a full value set; returns broken rules (empty = valid). */
  readonly validate: (values: ConfigValues) => readonly string[];
  /** Content hash of a value set (the version id). */
  readonly idOf: (values: ConfigValues) => VersionId;
  readonly rng: Rng;
  readonly count: number;
  readonly generation: number;
  readonly now: number;
  /** Versions already tried for this target: never proposed again. */
  readonly known?: ReadonlySet<VersionId>;
  /** Draws per candidate slot before it is dropped. */
  readonly maxAttempts?: number;
  /** Multiplier of each nudged setting's maxStep (mutation/step-sizes.ts); 1 when absent. */
  readonly stepScale?: (path: string) => number;
  /** One draw of new values from the parent's (a seeded mutation of the plan when absent). */
  readonly move?: Move;
}

/** A way to draw new values: returns them with the changes made, in lineage form. */
export type Move = (values: ConfigValues, plan: readonly MutationSpec[], leaves: ReadonlyMap<string, SchemaLeaf>, functions: Readonly<Record<string, readonly string[]>>, rng: Rng) => { values: ConfigValues; mutations: AppliedMutation[] };

export interface DroppedCandidate {
  readonly slot: number;
  readonly reason: string;
}

export interface Proposal {
  readonly candidates: Version[];
  readonly dropped: DroppedCandidate[];
}

/**
 * Proposes up to `count` distinct, schema-valid candidates from `parent`. Slot i draws from
 * its own stream `rng.fork("candidate:i")`, so the same seed gives the same candidates.
 *
 * @example
 *   const { candidates } = proposeCandidates({ ...input, rng: seededRng("7").fork("generation:1"), count: 4 });
 */
export function proposeCandidates(input: ProposeInput): Proposal {
  const maxAttempts = input.maxAttempts ?? 20;
  const seen = new Set<VersionId>(input.known ?? []);
  seen.add(input.parent.id);
  const leaves = new Map(input.schema.map((leaf) => [leaf.path, leaf]));
  const plan = input.stepScale ? input.plan.map((spec) => scaled(spec, leaves.get(spec.path), input.stepScale as (path: string) => number)) : input.plan;
  const candidates: Version[] = [];
  const dropped: DroppedCandidate[] = [];

  for (let slot = 0; slot < input.count; slot++) {
    const rng = input.rng.fork(`candidate:${slot}`);
    let lastReason = "no attempt made";
    let accepted: Version | undefined;
    for (let attempt = 0; attempt < maxAttempts && !accepted; attempt++) {
      const { values, mutations } = (input.move ?? mutateOnce)(input.parent.values, plan, leaves, input.functions, rng);
      if (mutations.length === 0) {
        lastReason = "every drawn mutation left its value unchanged";
        continue;
      }
      const broken = input.validate(values);
      if (broken.length > 0) {
        lastReason = `invalid against the schema: ${broken.join("; ")}`;
        continue;
      }
      const id = input.idOf(values);
      if (seen.has(id)) {
        lastReason = "duplicate of a version already proposed or tried";
        continue;
      }
      seen.add(id);
      accepted = {
        id,
        target: input.target,
        values,
        parent: input.parent.id,
        mutations,
        seed: rng.seed,
        generation: input.generation,
        createdAt: input.now,
      };
    }
    if (accepted) candidates.push(accepted);
    else dropped.push({ slot, reason: `dropped after ${maxAttempts} attempts: ${lastReason}` });
  }
  return { candidates, dropped };
}

/**
 * One draw: each plan entry fires with its probability; when none fires, one entry is chosen
 * uniformly, so every draw mutates something.
 */
/** A nudge with its adapted step: maxStep × scale, at most the setting's range, at least one step. */
function scaled(spec: MutationSpec, leaf: SchemaLeaf | undefined, scale: (path: string) => number): MutationSpec {
  if (spec.op !== "nudge" || !leaf || (leaf.kind !== "integer" && leaf.kind !== "number")) return spec;
  const factor = scale(spec.path);
  if (factor === 1) return spec;
  return { ...spec, maxStep: Math.max(spec.step, Math.min(leaf.max - leaf.min, spec.maxStep * factor)) };
}

function mutateOnce(
  values: ConfigValues,
  plan: readonly MutationSpec[],
  leaves: ReadonlyMap<string, SchemaLeaf>,
  functions: Readonly<Record<string, readonly string[]>>,
  rng: Rng,
): { values: ConfigValues; mutations: AppliedMutation[] } {
  let chosen = plan.filter((spec) => rng.next() < spec.probability);
  if (chosen.length === 0 && plan.length > 0) chosen = [plan[rng.int(plan.length)] as MutationSpec];
  let next = values;
  const mutations: AppliedMutation[] = [];
  for (const spec of chosen) {
    const leaf = leaves.get(spec.path);
    const from = getPath(next, spec.path);
    if (!leaf || from === undefined) continue;
    const to = operatorFor(spec)(from, { spec, leaf, functions, rng });
    if (JSON.stringify(to) === JSON.stringify(from)) continue;
    next = setPath(next, spec.path, to);
    mutations.push({ path: spec.path, op: spec.op, from, to });
  }
  return { values: next, mutations };
}
