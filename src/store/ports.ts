import type { HistoryEntry } from "../domain/history.js";

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
}
