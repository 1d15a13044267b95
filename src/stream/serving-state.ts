import type { AudienceRule } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import type { VersionId } from "../domain/version.js";
import type { ExperimentRouter } from "./router.js";

/**
 * What an SDK needs to answer exactly as the router (and so OFREP) does, target by target: the
 * baseline, the segments' own baselines with their rules, and the live experiment's arms, bucket
 * table and audience. It is the router's view at one moment; `revision` is its fingerprint, so a
 * client can tell an unchanged state without comparing it (GET /v1/sdk/state, ETag).
 *
 * What it reveals, to whoever holds the credential that reads it: every served configuration's
 * values, the rules of audiences and segments (attribute names and the values they compare
 * with), and how traffic is split. It reveals no statistics, no history, no other target.
 */
export interface ServingState {
  readonly target: string;
  readonly baseline: ServedVersion;
  /** Per-segment baselines (policy.segmentBaselines): the rules, first match, and the versions of segments serving their own. */
  readonly segments?: { readonly rules: readonly { readonly name: string; readonly rule: AudienceRule }[]; readonly baselines: Readonly<Record<string, ServedVersion>> };
  /** Settings that name a pipeline stage's version (setting path → stage id), and the KPI stage failures go to (docs/stages.md). */
  readonly stages?: StageBindings;
  /** The live experiment taking traffic (null: none, paused, or held by the kill switch). */
  readonly experiment: {
    readonly id: string;
    /** The assignment hash (assign/hash.ts HASH_VERSION) and the salt it hashes units with. */
    readonly hashVersion: string;
    readonly salt: string;
    /** Baseline first. */
    readonly arms: readonly ServedVersion[];
    /** Versions that count as the baseline arm too (segments' own baselines). */
    readonly aliases: readonly VersionId[];
    /** Arm index of every bucket, as little-endian 16-bit integers, base64. */
    readonly buckets: string;
    readonly revision: number;
    readonly audience: AudienceRule | null;
    /** Whether its statistics are broken down by segment: exposures then carry the unit's attributes. */
    readonly segmented: boolean;
  } | null;
}

export interface StageBindings {
  readonly settings: Readonly<Record<string, string>>;
  readonly errorKpi: string;
}

/** The path of the setting bound to stage (or component) `stage`, if the target binds one. */
export function settingBoundTo(bindings: StageBindings | undefined, stage: string): string | undefined {
  return Object.entries(bindings?.settings ?? {}).find(([, s]) => s === stage)?.[0];
}

export interface ServedVersion {
  readonly version: VersionId;
  readonly values: ConfigValues;
}

/** The serving state of `targets` (every target when absent; unknown names are left out). */
export function servingStates(router: ExperimentRouter, targets?: readonly string[], stagesOf: (target: string) => StageBindings | undefined = () => undefined): ServingState[] {
  return (targets ?? router.targets()).flatMap((target): ServingState[] => {
    const baseline = router.baseline(target);
    if (!baseline) return [];
    const segments = router.segmentServing(target);
    const live = router.experiment(target);
    const record = live?.allocationRecord();
    const stages = stagesOf(target);
    return [
      {
        target,
        baseline: { version: baseline.id, values: baseline.values },
        ...(segments
          ? { segments: { rules: segments.rules.map((s) => ({ name: s.name, rule: s.rule })), baselines: Object.fromEntries([...segments.versions].map(([name, v]) => [name, { version: v.id, values: v.values }])) } }
          : {}),
        ...(stages ? { stages } : {}),
        experiment:
          live && record
            ? { id: live.id, hashVersion: record.table.hashVersion, salt: live.id, arms: live.arms.map((v) => ({ version: v.id, values: v.values })), aliases: live.baselineAliases, buckets: record.table.buckets, revision: record.table.revision, audience: live.audience, segmented: live.segmented }
            : null,
      },
    ];
  });
}

/**
 * A cheap fingerprint of what the router serves for `targets`: it changes whenever a baseline,
 * a segment's baseline, the live experiment or its bucket table does (every reallocation and
 * pull moves the table's revision). The push channel compares it, not the states.
 */
export function servingFingerprint(router: ExperimentRouter, targets?: readonly string[]): string {
  return (targets ?? router.targets())
    .map((target) => {
      const live = router.experiment(target);
      const own = [...(router.segmentServing(target)?.versions ?? [])].map(([s, v]) => `${s}=${v.id}`).join(",");
      return `${target}:${router.baseline(target)?.id ?? "-"}:${own}:${live ? `${live.id}@${live.allocationRevision}` : "-"}`;
    })
    .join("|");
}
