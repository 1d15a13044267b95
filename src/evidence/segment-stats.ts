import type { AllocationPeriod, SegmentStatistics } from "../domain/snapshot.js";
import type { SegmentRule } from "../domain/target.js";
import { OTHER_SEGMENT, segmentIndex } from "../targeting/segments.js";
import type { EvaluationContext } from "../targeting/audience.js";
import { ArmStats } from "./arm-stats.js";

/**
 * An experiment's statistics broken down by segment: one ArmStats per named segment and one for
 * "other", fed the same changes as the experiment's own (evidence/arm-stats.ts `change`), with
 * the same allocation periods. A unit belongs to the segment of its first exposure for the whole
 * experiment (its row keeps the index), so the segments partition the units and add up to the
 * whole. Kept only when the policy names segments.
 */
export class SegmentStats {
  readonly names: readonly string[];
  private readonly stats: ArmStats[];

  constructor(
    private readonly segments: readonly SegmentRule[],
    arms: number,
  ) {
    this.names = [...segments.map((s) => s.name), OTHER_SEGMENT];
    this.stats = this.names.map(() => new ArmStats(arms));
  }

  /** The segment index of a unit first exposed with this context at `now` (segments.length: "other"). */
  indexOf(context: EvaluationContext, now: number, target: string): number {
    return segmentIndex(this.segments, context, { now, target });
  }

  /** The statistics of segment `index` ("other" for an index out of range: a row from before the segments changed). */
  of(index: number): ArmStats {
    return this.stats[index] ?? (this.stats[this.stats.length - 1] as ArmStats);
  }

  openPeriod(revision: number, from: number, weights: readonly number[]): void {
    for (const s of this.stats) s.openPeriod(revision, from, weights);
  }

  /** Plain-data copies, segment by segment (the snapshot's and the checkpoint's). */
  snapshot(): SegmentStatistics[] {
    return this.names.map((segment, i) => ({ segment, units: (this.stats[i] as ArmStats).unitsPerArm(), periods: (this.stats[i] as ArmStats).snapshot() }));
  }

  /** Takes back what a checkpoint recorded (segments it does not name start empty). */
  restore(saved: readonly SegmentStatistics[] | undefined, periods: readonly AllocationPeriod[]): void {
    this.names.forEach((name, i) => {
      const own = saved?.find((s) => s.segment === name);
      // An empty copy of the experiment's periods, so every segment has the same ones.
      const empty = periods.map(({ returning: _returning, ...p }) => ({ ...p, newUnits: p.newUnits.map(() => 0), kpis: p.kpis.map(() => ({})) }));
      (this.stats[i] as ArmStats).restore(own?.periods ?? empty, own?.units ?? periods[0]?.newUnits.map(() => 0) ?? []);
    });
  }
}
