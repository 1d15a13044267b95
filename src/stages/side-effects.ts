import type { SideEffect } from "../domain/event.js";
import type { HistoryEntry } from "../domain/history.js";

/** Samples kept per version and effect between two drains: the latest ones. */
export const SAMPLES_PER_KIND = 5;
/** Versions tracked per target between two drains; beyond, effects of new versions are counted as dropped. */
const MAX_VERSIONS = 64;

interface Pending {
  readonly counts: Map<string, number>;
  readonly samples: Map<string, { at: number; stage: string; kind: string; detail?: unknown }[]>;
}

/**
 * The side effects stages logged (database writes, outbound calls…), gathered from outcomes by
 * target and version and drained into the history as `side_effects` entries, so an operator can
 * read what each version did next to how it did (`evolvd history`, docs/stages.md). Counts are
 * exact; only the latest SAMPLES_PER_KIND of each stage and kind keep their detail.
 */
export class SideEffectLog {
  private readonly pending = new Map<string, Map<string, Pending>>();
  private droppedCount = 0;

  record(target: string, version: string, effects: readonly SideEffect[], at: number): void {
    let byVersion = this.pending.get(target);
    if (!byVersion) this.pending.set(target, (byVersion = new Map()));
    let pending = byVersion.get(version);
    if (!pending) {
      if (byVersion.size >= MAX_VERSIONS) {
        this.droppedCount += effects.length;
        return;
      }
      byVersion.set(version, (pending = { counts: new Map(), samples: new Map() }));
    }
    for (const e of effects) {
      const key = `${e.stage}:${e.kind}`;
      pending.counts.set(key, (pending.counts.get(key) ?? 0) + 1);
      let samples = pending.samples.get(key);
      if (!samples) pending.samples.set(key, (samples = []));
      samples.push({ at, stage: e.stage, kind: e.kind, ...(e.detail === undefined ? {} : { detail: e.detail }) });
      if (samples.length > SAMPLES_PER_KIND) samples.shift();
    }
  }

  /** Effects not recorded because a target had too many versions pending. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The history entries of everything recorded since the last drain, by target; empties the log. */
  drain(at: number): Map<string, HistoryEntry[]> {
    const out = new Map<string, HistoryEntry[]>();
    for (const [target, byVersion] of this.pending) {
      const entries: HistoryEntry[] = [...byVersion].map(([version, p]) => ({
        kind: "side_effects",
        at,
        version,
        counts: Object.fromEntries([...p.counts].sort(([a], [b]) => (a < b ? -1 : 1))),
        samples: [...p.samples.values()].flat().sort((a, b) => a.at - b.at),
      }));
      out.set(target, entries);
    }
    this.pending.clear();
    return out;
  }
}
