import type { VersionId } from "../domain/version.js";
import { armAt, createTable, reallocate, tableWeights, type BucketTable } from "./bucket-table.js";
import { bucketOf } from "./hash.js";

/** Arms per experiment (the served-arm bit mask of evidence/served-units.ts holds 16). */
export const MAX_ARMS = 16;

/** An allocation as it is checkpointed: the table, base64, and the pulled arms. */
export interface AllocationRecord {
  readonly table: { readonly hashVersion: string; readonly revision: number; readonly buckets: string };
  readonly pulled: readonly number[];
}

/**
 * Who gets which arm of one experiment: the versioned hash of (unit, experiment) picks a
 * bucket, the bucket table picks the arm. Weights change only through `reallocate`, which moves
 * the fewest units; a pulled arm's share goes back to the baseline and it never returns.
 */
export class Allocation {
  private table: BucketTable;
  private readonly index: Map<VersionId, number>;
  private readonly pulledArms = new Set<number>();

  constructor(
    private readonly salt: string,
    readonly arms: readonly VersionId[],
    weights: readonly number[],
  ) {
    if (arms.length < 2 || arms.length > MAX_ARMS) throw new RangeError(`an experiment needs 2 to ${MAX_ARMS} arms`);
    this.index = new Map(arms.map((id, i) => [id, i]));
    this.table = createTable(arms, weights);
  }

  get revision(): number {
    return this.table.revision;
  }

  /** Weights as the table realises them (bucket counts / buckets). */
  get weights(): number[] {
    return tableWeights(this.table);
  }

  /** The arm index of a unit. */
  assign(unit: string): number {
    return this.index.get(armAt(this.table, bucketOf(unit, this.salt))) as number;
  }

  indexOf(arm: VersionId): number | undefined {
    return this.index.get(arm);
  }

  isPulled(index: number): boolean {
    return this.pulledArms.has(index);
  }

  /** Indices of pulled arms, ascending. */
  pulled(): number[] {
    return [...this.pulledArms].sort((a, b) => a - b);
  }

  reallocate(weights: readonly number[]): void {
    this.table = reallocate(this.table, this.table.arms, weights);
  }

  /**
   * Takes an arm out of traffic, its share to the baseline, the others keeping theirs; false when
   * it is the baseline, unknown, or out already. `current` are the weights in force.
   */
  pull(index: number, current: readonly number[]): boolean {
    if (index <= 0 || index >= this.arms.length || this.pulledArms.has(index)) return false;
    this.pulledArms.add(index);
    const weights = [...current];
    weights[0] = (weights[0] as number) + (weights[index] as number);
    weights[index] = 0;
    this.reallocate(weights);
    return true;
  }

  record(): AllocationRecord {
    const b = this.table.buckets;
    return { table: { hashVersion: this.table.hashVersion, revision: this.table.revision, buckets: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") }, pulled: [...this.pulledArms] };
  }

  /** Replaces the table and pulled arms with a checkpoint's. */
  restore(record: AllocationRecord): void {
    const bytes = Buffer.from(record.table.buckets, "base64");
    const buckets = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    this.table = { hashVersion: record.table.hashVersion, revision: record.table.revision, arms: [...this.arms], buckets };
    this.pulledArms.clear();
    for (const i of record.pulled) this.pulledArms.add(i);
  }
}
