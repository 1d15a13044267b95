import type { AllocationPeriod, UnitMoments } from "../domain/snapshot.js";
import type { MergedStats } from "../store/redis-stats.js";
import type { ExperimentCheckpoint } from "../stream/live-experiment.js";

/** A checkpoint plus the tick count that seeds allocation (see Optimizer.checkpointState). */
export type SharedCheckpoint = ExperimentCheckpoint & { readonly ticks?: number };

/**
 * What scale-out keeps of a checkpoint in Redis: the allocation (table, periods and their
 * weights, status, pulled arms), never the statistics or who was served what — those are merged
 * from every instance in RedisStats and would be stale copies here.
 */
export function structureOf(checkpoint: SharedCheckpoint): SharedCheckpoint {
  return {
    ...checkpoint,
    unitsPerArm: checkpoint.arms.map(() => 0),
    periods: checkpoint.periods.map((p) => ({ ...p, newUnits: p.newUnits.map(() => 0), kpis: p.kpis.map(() => ({})) })),
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
  const periods: AllocationPeriod[] = checkpoint.periods.map((p) => {
    const kpis = merged.kpis.get(p.revision);
    const fresh = merged.newUnits.get(p.revision);
    return {
      ...p,
      newUnits: Array.from({ length: arms }, (_, i) => fresh?.get(i) ?? 0),
      kpis: Array.from({ length: arms }, (_, i): Readonly<Record<string, UnitMoments>> => sortedKeys(kpis?.get(i) ?? {})),
    };
  });
  return { ...checkpoint, periods, unitsPerArm: Array.from({ length: arms }, (_, i) => merged.units.get(i) ?? 0), served: [] };
}

function sortedKeys(kpis: Readonly<Record<string, UnitMoments>>): Readonly<Record<string, UnitMoments>> {
  return Object.fromEntries(Object.keys(kpis).sort().map((k) => [k, kpis[k] as UnitMoments]));
}
