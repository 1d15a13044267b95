import type { HistoryEntry } from "../domain/history.js";
import type { HistoryStore } from "../domain/ports.js";

/** History kept in memory: simulations and tests. Entries are deep-copied in and out. */
export class MemoryStore implements HistoryStore {
  private readonly histories = new Map<string, string[]>();

  async append(target: string, entries: readonly HistoryEntry[]): Promise<void> {
    const lines = this.histories.get(target) ?? [];
    lines.push(JSON.stringify(entries));
    this.histories.set(target, lines);
  }

  async read(target: string): Promise<HistoryEntry[]> {
    return (this.histories.get(target) ?? []).flatMap((line) => JSON.parse(line) as HistoryEntry[]);
  }

  async targets(): Promise<string[]> {
    return [...this.histories.keys()].sort();
  }

  private readonly checkpoints = new Map<string, string>();

  async saveCheckpoint(target: string, checkpoint: string | null): Promise<void> {
    if (checkpoint === null) {
      this.checkpoints.delete(target);
      this.journals.delete(target);
    }
    else this.checkpoints.set(target, checkpoint);
  }

  async loadCheckpoint(target: string): Promise<string | null> {
    return this.checkpoints.get(target) ?? null;
  }

  private readonly journals = new Map<string, { experiment: string; text: string }>();

  async appendServed(target: string, experiment: string, lines: string): Promise<void> {
    const journal = this.journals.get(target);
    if (journal?.experiment === experiment) journal.text += lines;
    else this.journals.set(target, { experiment, text: lines });
  }

  async loadServed(target: string, experiment: string): Promise<string> {
    const journal = this.journals.get(target);
    return journal?.experiment === experiment ? journal.text : "";
  }
}
