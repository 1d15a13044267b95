import type { HistoryEntry } from "../domain/history.js";

/**
 * Every store keeps a history as JSON batches, one per line (file) or list element (Redis).
 * A batch that does not parse is corruption in the middle of a history: it is reported with
 * its position rather than skipped, so nothing is silently lost.
 */
export function parseBatches(batches: readonly string[], target: string, where: "line" | "batch", offset = 0): HistoryEntry[] {
  return batches.flatMap((batch, i) => {
    try {
      return JSON.parse(batch) as HistoryEntry[];
    } catch {
      throw new Error(`history of "${target}" is corrupt at ${where} ${offset + i + 1}: not a JSON batch`);
    }
  });
}
