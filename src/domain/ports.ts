import type { HistoryEntry } from "./history.js";
import type { Rng } from "./rng.js";
import type { Target } from "./target.js";
import type { Version } from "./version.js";

// The ports of evolvd's core: interfaces that both the core and its adapters import, so the
// arrows point one way (domain ← core ← adapters ← composition root).

/**
 * The version store: an append-only history per target, plus the checkpoint of its live
 * experiment. This small port is all the
 * optimizer and the CLI depend on; the file store (embedded default), the memory store (tests,
 * simulations) and the Redis store (scale-out) implement it and pass one contract suite.
 */
export interface HistoryStore {
  /**
   * Appends entries as one atomic batch: after a crash either all of them are in the history
   * or none is (a commit's decision and its baseline move can never be split).
   */
  append(target: string, entries: readonly HistoryEntry[]): Promise<void>;
  /** The whole history of a target, oldest first; empty for an unknown target. */
  read(target: string): Promise<HistoryEntry[]>;
  /** Names of targets with a history. */
  targets(): Promise<string[]>;
  /**
   * Replaces the target's checkpoint (the live experiment's state) atomically: a reader sees
   * the old one or the new one, never a torn file. `null` removes it.
   */
  saveCheckpoint(target: string, checkpoint: string | null): Promise<void>;
  /** The target's checkpoint, or null. */
  loadCheckpoint(target: string): Promise<string | null>;
  /**
   * Appends to the served journal of `experiment` (NDJSON lines of who was served what), the
   * part of a live experiment's state too big to rewrite at every checkpoint. Starting the
   * journal of another experiment drops the previous one, as does `saveCheckpoint(target, null)`.
   */
  appendServed(target: string, experiment: string, lines: string): Promise<void>;
  /** The served journal of `experiment` ("" when there is none); a torn last line may end it. */
  loadServed(target: string, experiment: string): Promise<string>;
  /**
   * Replaces the target's kept CUPED values (evidence/earlier-values.ts encode()), whole or not
   * at all. Optional: a store without it (scale-out) keeps none across restarts.
   */
  saveCovariates?(target: string, data: Uint8Array): Promise<void>;
  /** The target's kept CUPED values as saved, or null. */
  loadCovariates?(target: string): Promise<Uint8Array | null>;
}

// ── screening: a candidate's first test, on simulated traffic (sim/screening.ts implements it) ──

export interface ScreeningInput {
  readonly target: Target;
  readonly baseline: Version;
  readonly candidates: readonly Version[];
  readonly generation: number;
  readonly rng: Rng;
  readonly now: number;
}

export interface ScreenedArm {
  readonly version: Version;
  /** Simulated relative effect on the primary KPI, "good" positive. */
  readonly score: number;
  readonly reason: string;
  readonly evidence: unknown;
}

export interface ScreeningResult {
  /** Best simulated primary first. */
  readonly survivors: readonly ScreenedArm[];
  readonly rejected: readonly ScreenedArm[];
}

/** Screens candidates before they may see live traffic. */
export interface Screener {
  (input: ScreeningInput): ScreeningResult;
  /**
   * Whether its model knows what `value` of setting `path` does. A stage version it does not
   * know cannot be simulated: such a candidate skips screening (lifecycle/generation.ts).
   * Absent: it knows every value.
   */
  readonly covers?: (path: string, value: unknown) => boolean;
}
