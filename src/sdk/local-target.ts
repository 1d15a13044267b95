import { BUCKETS, bucketOf, HASH_VERSION } from "../assign/hash.js";
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
  private constructor(
    readonly state: ServingState,
    private readonly baseline: Arm,
    private readonly segments: { readonly rules: readonly Segment[]; readonly own: ReadonlyMap<string, Arm> } | null,
    private readonly experiment: { readonly id: string; readonly arms: readonly Arm[]; readonly buckets: Uint16Array; readonly audience: CompiledRule | null } | null,
  ) {}

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
    if (audience && !audience.rule && audience.rule !== false) return { problem: audience.problems.join("; ") };
    return {
      target: new LocalTarget(state, baseline, segments, { id: live.id, arms: live.arms.map((a) => ({ version: a.version, values: a.values as JsonValue })), buckets, audience: audience ? (audience.rule as CompiledRule) : null }),
    };
  }

  /** Whether an experiment takes traffic in this state. */
  get live(): boolean {
    return this.experiment !== null;
  }

  /** The version `unit` gets, as stream/router.ts ExperimentRouter.evaluate decides it. */
  evaluate(unit: string, context: EvaluationContext, now: number, stale = false): Evaluation {
    const target = this.state.target;
    const segments = this.segments;
    const base = segments ? (segments.own.get(segmentOf(segments.rules, context, { now, target })) ?? this.baseline) : this.baseline;
    const live = this.experiment;
    if (stale) return { value: base.values, version: base.version, arm: null, experiment: null, reason: "STALE" };
    if (!live) return { value: base.values, version: base.version, arm: null, experiment: null, reason: "STATIC" };
    if (live.audience !== null && !matches(live.audience, context, { now, target })) return { value: base.values, version: base.version, arm: null, experiment: null, reason: "DEFAULT", audience: "outside" };
    const index = live.buckets[bucketOf(unit, live.id)] as number;
    const arm = live.arms[index] as Arm;
    const inside = live.audience !== null ? { audience: "inside" as const } : {};
    if (index === 0) return { value: base.values, version: base.version, arm: arm.version, armLabel: "baseline", experiment: live.id, reason: "STATIC", ...inside };
    return { value: arm.values, version: arm.version, arm: arm.version, armLabel: `candidate_${index}`, experiment: live.id, reason: "SPLIT", ...inside };
  }
}

/** The bucket table of a serving state: little-endian 16-bit arm indices, base64 (atob: Node 20 and browsers). */
function decodeBuckets(base64: string): Uint16Array {
  const text = atob(base64);
  const out = new Uint16Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = text.charCodeAt(2 * i) | (text.charCodeAt(2 * i + 1) << 8);
  return out;
}
