import type { VersionId } from "../domain/version.js";
import { BUCKETS, HASH_VERSION } from "./hash.js";

/**
 * Allocation realised as a table from bucket to arm. Tables only change by `reallocate`, which
 * moves the fewest buckets possible: the share of units that change arm equals the total
 * variation distance between old and new weights (to bucket granularity).
 */
export interface BucketTable {
  readonly hashVersion: string;
  /** Increases by one with every reallocation; recorded with the allocation history. */
  readonly revision: number;
  readonly arms: readonly VersionId[];
  /** Arm index of every bucket. */
  readonly buckets: Uint16Array;
}

/** Bucket counts for `weights`, by largest remainder so they sum to exactly BUCKETS. */
export function bucketCounts(weights: readonly number[], size = BUCKETS): number[] {
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0);
  if (!(total > 0)) throw new RangeError("allocation weights must have a positive sum");
  const exact = weights.map((w) => (Math.max(0, w) / total) * size);
  const counts = exact.map(Math.floor);
  let left = size - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}

/** A fresh table: arms laid out in contiguous runs of buckets. */
export function createTable(arms: readonly VersionId[], weights: readonly number[]): BucketTable {
  const counts = bucketCounts(weights);
  const buckets = new Uint16Array(BUCKETS);
  let at = 0;
  counts.forEach((count, arm) => {
    buckets.fill(arm, at, at + count);
    at += count;
  });
  return { hashVersion: HASH_VERSION, revision: 1, arms: [...arms], buckets };
}

/**
 * Moves the table to new weights over `arms` (which may add arms, or drop them by weight 0).
 * Arms over their new count give up their highest-numbered buckets; arms under it take the
 * freed buckets in ascending order. Every other bucket keeps its arm.
 */
export function reallocate(table: BucketTable, arms: readonly VersionId[], weights: readonly number[]): BucketTable {
  const index = new Map(arms.map((arm, i) => [arm, i]));
  const buckets = new Uint16Array(BUCKETS);
  const freed: number[] = [];
  const counts = new Array<number>(arms.length).fill(0);
  const targets = bucketCounts(weights);
  const byArm: number[][] = arms.map(() => []);
  // Re-index buckets onto the new arm list; buckets of arms that are gone are freed.
  for (let b = 0; b < BUCKETS; b++) {
    const armIndex = index.get(table.arms[table.buckets[b] as number] as VersionId);
    if (armIndex === undefined) freed.push(b);
    else (byArm[armIndex] as number[]).push(b);
  }
  byArm.forEach((owned, arm) => {
    const keep = Math.min(owned.length, targets[arm] as number);
    for (let j = 0; j < owned.length; j++) {
      const b = owned[j] as number;
      if (j < keep) buckets[b] = arm;
      else freed.push(b);
    }
    counts[arm] = keep;
  });
  freed.sort((a, b) => a - b);
  let next = 0;
  targets.forEach((target, arm) => {
    for (let c = counts[arm] as number; c < target; c++) buckets[freed[next++] as number] = arm;
  });
  return { hashVersion: table.hashVersion, revision: table.revision + 1, arms: [...arms], buckets };
}

/** Fraction of buckets whose arm differs between two tables (compared by arm id). */
export function movedShare(before: BucketTable, after: BucketTable): number {
  let moved = 0;
  for (let b = 0; b < BUCKETS; b++) if (before.arms[before.buckets[b] as number] !== after.arms[after.buckets[b] as number]) moved++;
  return moved / BUCKETS;
}

/** The arm for a bucket. */
export function armAt(table: BucketTable, bucket: number): VersionId {
  return table.arms[table.buckets[bucket] as number] as VersionId;
}

/** Current weights of a table, from its bucket counts. */
export function tableWeights(table: BucketTable): number[] {
  const counts = new Array<number>(table.arms.length).fill(0);
  for (let b = 0; b < BUCKETS; b++) {
    const arm = table.buckets[b] as number;
    counts[arm] = (counts[arm] as number) + 1;
  }
  return counts.map((c) => c / BUCKETS);
}
