import { BUCKETS, bucketOfKeyed, HASH_VERSION, saltPrefix, type SaltPrefix } from "../assign/hash.js";
import type { UnitMemory } from "./unit-memory.js";
import type { JsonValue } from "../domain/values.js";
import type { ServingState } from "../stream/serving-state.js";
import { compileRule, matches, type CompiledRule, type EvaluationContext } from "../targeting/audience.js";
import { compileSegments, segmentOf, type Segment } from "../targeting/segments.js";

/** What a local evaluation answers: the same version, arm and reason OFREP gives the unit. */
export interface Evaluation {
  readonly value: JsonValue;
  /** The version served (a segment's own baseline for its units in the baseline arm). */
  readonly version: string;
  /** The experiment arm the unit is in, as events name it; null outside an experiment. */
  readonly arm: string | null;
  /** OFREP's label of that arm: "baseline" or candidate_<i> (absent outside an experiment). */
  readonly armLabel?: string;
  readonly experiment: string | null;
  /**
   * SPLIT (a candidate), STATIC (the baseline), DEFAULT (outside the audience), STALE (the
   * daemon unreachable for longer than maxStaleMs: the last known baseline, no experiment), or
   * ERROR (an unknown target; value null).
   */
  readonly reason: "SPLIT" | "STATIC" | "DEFAULT" | "STALE" | "ERROR";
  readonly audience?: "inside" | "outside";
}

interface Arm {
  readonly version: string;
  readonly values: JsonValue;
}

/**
 * One target's serving state, compiled for evaluation in process: the same hash, bucket table,
 * audience and segment rules as the daemon's router (stream/router.ts), so every unit gets
 * exactly the answer OFREP gives it. Never throws once built; `LocalTarget.from` refuses a state
 * it cannot evaluate exactly (another hash version, a bad table) with the reason.
 */
export class LocalTarget {
  /** The client's memory of the live experiment's units (sdk/unit-memory.ts), carried over while the experiment lasts. */
  memory: UnitMemory | null = null;

  private constructor(
    readonly state: ServingState,
    private readonly baseline: Arm,
    private readonly segments: { readonly rules: readonly Segment[]; readonly own: ReadonlyMap<string, Arm> } | null,
    private readonly experiment: { readonly id: string; readonly prefix: SaltPrefix; readonly arms: readonly Arm[]; readonly buckets: Uint16Array; readonly audience: CompiledRule | null } | null,
  ) {
    const inside = experiment?.audience != null ? { audience: "inside" as const } : {};
    this.armAnswers = experiment
      ? experiment.arms.map((arm, i) => (i === 0 ? undefined : Object.freeze({ value: arm.values, version: arm.version, arm: arm.version, armLabel: `candidate_${i}`, experiment: experiment.id, reason: "SPLIT" as const, ...inside })))
      : [];
  }

  static from(state: ServingState): { target?: LocalTarget; problem?: string } {
    const baseline = { version: state.baseline.version, values: state.baseline.values as JsonValue };
    let segments: { rules: readonly Segment[]; own: Map<string, Arm> } | null = null;
    if (state.segments) {
      const compiled = compileSegments(state.segments.rules, `${state.target}.segments`);
      if (!compiled.segments) return { problem: compiled.problems.join("; ") };
      segments = { rules: compiled.segments, own: new Map(Object.entries(state.segments.baselines).map(([name, v]) => [name, { version: v.version, values: v.values as JsonValue }])) };
    }
    const live = state.experiment;
    if (!live) return { target: new LocalTarget(state, baseline, segments, null) };
    if (live.hashVersion !== HASH_VERSION) return { problem: `${state.target}: hash ${live.hashVersion} is not ${HASH_VERSION}; this SDK cannot assign its units` };
    const buckets = decodeBuckets(live.buckets);
    if (buckets.length !== BUCKETS || buckets.some((arm) => arm >= live.arms.length)) return { problem: `${state.target}: the bucket table of ${live.id} is not ${BUCKETS} buckets over ${live.arms.length} arms` };
    const audience = live.audience === null ? null : compileRule(live.audience, `${state.target}.audience`);
    if (audience && audience.rule === undefined) return { problem: audience.problems.join("; ") };
    return {
      target: new LocalTarget(state, baseline, segments, { id: live.id, prefix: saltPrefix(live.salt), arms: live.arms.map((a) => ({ version: a.version, values: a.values as JsonValue })), buckets, audience: audience ? (audience.rule as CompiledRule) : null }),
    };
  }

  /** Whether an experiment takes traffic in this state. */
  get live(): boolean {
    return this.experiment !== null;
  }

  /** Puts the unit's fingerprint in the live experiment into FINGERPRINT (assign/hash.ts); false without one. */
  fingerprint(unit: string): boolean {
    if (!this.experiment) return false;
    bucketOfKeyed(unit, this.experiment.prefix);
    return true;
  }

  /**
   * The version `unit` gets, as stream/router.ts ExperimentRouter.evaluate decides it. `now` is
   * asked only when a rule may read the time (an audience, segments). Answers are shared,
   * frozen objects (one per arm and segment): nothing is allocated per call. An answer in the
   * experiment leaves the unit's fingerprint in FINGERPRINT.
   */
  evaluate(unit: string, context: EvaluationContext, now: () => number, stale = false): Evaluation {
    const target = this.state.target;
    const segments = this.segments;
    const live = this.experiment;
    const at = segments || live?.audience ? now() : 0;
    const segment = segments ? segmentOf(segments.rules, context, { now: at, target }) : "";
    if (stale || !live) return this.cached(stale ? "STALE" : "STATIC", segment);
    if (live.audience !== null && !matches(live.audience, context, { now: at, target })) return this.cached("DEFAULT", segment);
    const index = live.buckets[bucketOfKeyed(unit, live.prefix)] as number;
    if (index !== 0) return this.armAnswers[index] as Evaluation;
    // Without segments the baseline arm has one answer: no lookup by segment.
    return segments ? this.cached("baseline", segment) : (this.baselineArm ??= this.cached("baseline", ""));
  }

  private baselineArm: Evaluation | undefined;
  /** Candidate answers by arm index (index 0 unused: the baseline's depends on the segment). */
  private readonly armAnswers: readonly (Evaluation | undefined)[];
  /** Answers served from a segment's baseline, by kind and then segment ("" without segments). */
  private readonly answers = { STATIC: new Map<string, Evaluation>(), STALE: new Map<string, Evaluation>(), DEFAULT: new Map<string, Evaluation>(), baseline: new Map<string, Evaluation>() };

  /** The answer served from a segment's baseline: outside the experiment (STATIC, STALE, DEFAULT) or in its baseline arm. */
  private cached(kind: "STATIC" | "STALE" | "DEFAULT" | "baseline", segment: string): Evaluation {
    const byKind = this.answers[kind];
    let answer = byKind.get(segment);
    if (answer) return answer;
    const base = this.segments?.own.get(segment) ?? this.baseline;
    const live = this.experiment;
    if (kind === "baseline" && live) answer = { value: base.values, version: base.version, arm: (live.arms[0] as Arm).version, armLabel: "baseline", experiment: live.id, reason: "STATIC", ...(live.audience !== null ? { audience: "inside" as const } : {}) };
    else if (kind === "DEFAULT") answer = { value: base.values, version: base.version, arm: null, experiment: null, reason: "DEFAULT", audience: "outside" };
    else answer = { value: base.values, version: base.version, arm: null, experiment: null, reason: kind === "STALE" ? "STALE" : "STATIC" };
    byKind.set(segment, Object.freeze(answer));
    return answer;
  }
}

/**
 * Builds each state's LocalTarget into `targets`; the units' memory lives as long as their
 * experiment, across states (reallocations, pulls). A state that cannot be evaluated exactly
 * leaves the target's last one in place: the reasons are returned.
 */
export function applyStates(targets: Map<string, LocalTarget>, states: readonly ServingState[]): string[] {
  const problems: string[] = [];
  for (const state of states) {
    const built = LocalTarget.from(state);
    if (!built.target) {
      problems.push(built.problem as string);
      continue;
    }
    const memory = targets.get(state.target)?.memory ?? null;
    built.target.memory = memory !== null && memory.experiment === state.experiment?.id ? memory : null;
    targets.set(state.target, built.target);
  }
  return problems;
}

/** The bucket table of a serving state: little-endian 16-bit arm indices, base64 (atob: Node 20 and browsers). */
function decodeBuckets(base64: string): Uint16Array {
  const text = atob(base64);
  const out = new Uint16Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = text.charCodeAt(2 * i) | (text.charCodeAt(2 * i + 1) << 8);
  return out;
}
