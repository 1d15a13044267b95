import type { AllocationPeriod, SegmentStatistics, UnitMoments } from "../domain/snapshot.js";
import type { MergedPart, MergedStats } from "../store/redis-stats.js";
import type { ExperimentCheckpoint } from "../stream/live-experiment.js";

/** A checkpoint plus the tick count that seeds allocation (see Optimizer.checkpointState). */
export type SharedCheckpoint = ExperimentCheckpoint & { readonly ticks?: number };

/**
 * What scale-out keeps of a checkpoint in Redis: the allocation (table, periods and their
 * weights, status, pulled arms), never the statistics or who was served what — those are merged
 * from every instance in RedisStats and would be stale copies here.
 */
export function structureOf(checkpoint: SharedCheckpoint): SharedCheckpoint {
  const empty = (periods: readonly AllocationPeriod[]): AllocationPeriod[] => periods.map((p) => ({ ...p, newUnits: p.newUnits.map(() => 0), kpis: p.kpis.map(() => ({})) }));
  return {
    ...checkpoint,
    unitsPerArm: checkpoint.arms.map(() => 0),
    periods: empty(checkpoint.periods),
    // Segments keep their names only: their statistics are merged like the whole's (segments carry no CUPED sums).
    ...(checkpoint.segments ? { segments: checkpoint.segments.map((s) => ({ segment: s.segment, units: s.units.map(() => 0), periods: empty(checkpoint.periods).map(({ returning: _returning, ...p }) => p) })) } : {}),
    served: [],
  };
}

/**
 * The checkpoint the deciding instance resumes from: the shared allocation with every
 * instance's statistics laid over it, period by period (statistics of a period the checkpoint
 * does not know, which cannot happen unless Redis lost keys, are ignored).
 */
export function withMergedStats(checkpoint: SharedCheckpoint, merged: MergedStats): SharedCheckpoint {
  const arms = checkpoint.arms.length;
  const units = (part: MergedPart | undefined): number[] => Array.from({ length: arms }, (_, i) => part?.units.get(i) ?? 0);
  // Segment i (the named ones, then "other") is merged as g<i>: in Redis (store/redis-stats.ts).
  const segments: SegmentStatistics[] | undefined = checkpoint.segments?.map((s, i) => {
    const part = merged.segments.get(i);
    return { segment: s.segment, units: units(part), periods: periodsOf(checkpoint.periods, part, arms).map(({ returning: _returning, ...p }) => p) };
  });
  return { ...checkpoint, periods: periodsOf(checkpoint.periods, merged, arms), unitsPerArm: units(merged), ...(segments ? { segments } : {}), served: [] };
}

/** The shared allocation's periods with one part's merged statistics laid over them. */
function periodsOf(periods: readonly AllocationPeriod[], merged: MergedPart | undefined, arms: number): AllocationPeriod[] {
  return periods.map((p) => {
    const kpis = merged?.kpis.get(p.revision);
    const fresh = merged?.newUnits.get(p.revision);
    return {
      ...p,
      newUnits: Array.from({ length: arms }, (_, i) => fresh?.get(i) ?? 0),
      kpis: Array.from({ length: arms }, (_, i): Readonly<Record<string, UnitMoments>> => sortedKeys(kpis?.get(i) ?? {})),
    };
  });
}

function sortedKeys(kpis: Readonly<Record<string, UnitMoments>>): Readonly<Record<string, UnitMoments>> {
  return Object.fromEntries(Object.keys(kpis).sort().map((k) => [k, kpis[k] as UnitMoments]));
}
