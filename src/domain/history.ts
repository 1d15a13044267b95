import type { ExperimentStatus } from "./experiment.js";
import { err, ok, problem, type Problem, type Result } from "./result.js";
import type { Version, VersionId } from "./version.js";

/**
 * The append-only history of one target. The current baseline is the `version` of the last
 * `baseline` entry; every version ever proposed is kept with its lineage, and every decision
 * with the numbers behind it.
 */
export type HistoryEntry =
  | { readonly kind: "version"; readonly at: number; readonly version: Version }
  | {
      readonly kind: "transition";
      readonly at: number;
      readonly experiment: string;
      readonly generation: number;
      readonly from: ExperimentStatus;
      readonly to: ExperimentStatus;
      readonly reason: string;
      readonly arms?: readonly VersionId[];
      readonly evidence?: unknown;
    }
  | {
      readonly kind: "arm_exit";
      readonly at: number;
      readonly experiment: string;
      readonly version: VersionId;
      readonly exit: "rejected_in_screening" | "pulled";
      readonly reason: string;
      readonly evidence?: unknown;
    }
  /**
   * What a version's stage code did while it served (docs/stages.md): counts of side effects by
   * stage and kind since the last such entry, and the latest few of each as samples.
   */
  | { readonly kind: "side_effects"; readonly at: number; readonly version: VersionId; readonly counts: Readonly<Record<string, number>>; readonly samples: readonly { readonly at: number; readonly stage: string; readonly kind: string; readonly detail?: unknown }[] }
  /** An operator's candidate, waiting as a draft for the next generation (its `version` entry comes first). */
  | { readonly kind: "draft"; readonly at: number; readonly version: VersionId; readonly note: string; /** A fixed traffic share instead of the bandit's (lifecycle/draft.ts). */ readonly share?: number }
  | {
      readonly kind: "baseline";
      readonly at: number;
      readonly version: VersionId;
      readonly previous: VersionId | null;
      /** initial: first load of the target file; commit: a winner; rollback: an operator's rollback; reload: a changed target file. */
      readonly cause: "initial" | "commit" | "rollback" | "reload";
      readonly reason: string;
      readonly experiment?: string;
      readonly evidence?: unknown;
      /**
       * With per-segment baselines (policy.segmentBaselines): the segment whose baseline moved;
       * `previous` is that segment's. Absent: the target's baseline, which every segment then serves.
       */
      readonly segment?: string;
    };

/** The baseline pointer after replaying a history. */
export function currentBaseline(history: readonly HistoryEntry[]): VersionId | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i] as HistoryEntry;
    if (entry.kind === "baseline" && entry.segment === undefined) return entry.version;
  }
  return null;
}

/**
 * The segments whose baseline differs from the target's after replaying a history: a segment's
 * entry sets its own; an entry without a segment (a commit won everywhere, a rollback of the
 * whole target, the file's baseline) makes every segment serve the target's baseline again.
 */
export function segmentBaselinesOf(history: readonly HistoryEntry[]): Map<string, VersionId> {
  return followSegmentBaselines({ target: null, segments: new Map() }, history).segments;
}

/** The replay of segmentBaselinesOf carried on over more entries (a replica reads its history in parts). */
export function followSegmentBaselines(from: { target: VersionId | null; segments: Map<string, VersionId> }, entries: readonly HistoryEntry[]): { target: VersionId | null; segments: Map<string, VersionId> } {
  let { target } = from;
  const out = from.segments;
  for (const entry of entries) {
    if (entry.kind !== "baseline") continue;
    if (entry.segment === undefined) {
      target = entry.version;
      out.clear();
    } else if (entry.version === target) out.delete(entry.segment);
    else out.set(entry.segment, entry.version);
  }
  return { target, segments: out };
}

/** Every version of a history, by id. */
export function versionsOf(history: readonly HistoryEntry[]): Map<VersionId, Version> {
  const versions = new Map<VersionId, Version>();
  for (const entry of history) if (entry.kind === "version") versions.set(entry.version.id, entry.version);
  return versions;
}

/**
 * Operators' drafts not yet taken by a generation, oldest first: a draft is taken by the first
 * generation proposed after it (its `proposed → screening` entry lists it among its candidates).
 * `before`: what was pending before these entries (a replica reads the history in batches).
 */
export function pendingDrafts(history: readonly HistoryEntry[], before: readonly VersionId[] = []): VersionId[] {
  let pending: VersionId[] = [...before];
  for (const entry of history) {
    if (entry.kind === "draft" && !pending.includes(entry.version)) pending.push(entry.version);
    else if (entry.kind === "transition" && entry.from === "proposed") pending = pending.filter((id) => !entry.arms?.includes(id));
  }
  return pending;
}

/** Versions an operator drafted with a fixed traffic share, as their latest draft entry says. */
export function draftSharesOf(history: readonly HistoryEntry[]): Map<VersionId, number> {
  const shares = new Map<VersionId, number>();
  for (const entry of history) {
    if (entry.kind !== "draft") continue;
    if (entry.share === undefined) shares.delete(entry.version);
    else shares.set(entry.version, entry.share);
  }
  return shares;
}

/** The highest generation a history has started (0 for none). */
export function lastGeneration(history: readonly HistoryEntry[]): number {
  let generation = 0;
  for (const entry of history) if (entry.kind === "transition") generation = Math.max(generation, entry.generation);
  return generation;
}

/**
 * A version by its full id or a unique prefix of at least 6 hex digits, among `versions` (of one
 * target, or several: the same id in two targets is two versions). The CLI and the admin API
 * resolve ids the same way, so a prefix that works locally works with --url.
 */
export function findVersion(versions: Iterable<Version>, idOrPrefix: string): Result<Version, Problem> {
  if (!/^[0-9a-f]{6,64}$/.test(idOrPrefix)) return err(problem("invalid_version", `"${idOrPrefix.slice(0, 80)}" is not a version id (6 to 64 hex digits)`));
  const matches = new Map<string, Version>();
  for (const v of versions) if (v.id.startsWith(idOrPrefix)) matches.set(`${v.target}/${v.id}`, v);
  const found = [...matches.values()];
  if (found.length === 0) return err(problem("unknown_version", `no version ${idOrPrefix}`));
  if (found.length > 1) return err(problem("ambiguous_version", `version prefix ${idOrPrefix} is ambiguous: ${found.map((v) => `${v.target}/${v.id.slice(0, 12)}`).join(", ")}`));
  return ok(found[0] as Version);
}

/**
 * A version by id, unique prefix, or `baseline` / `baseline:<segment>` — the target's baseline
 * or the one a segment serves (its own with per-segment baselines, else the target's) — which
 * need the history of one target.
 */
export function findVersionRef(versions: Iterable<Version>, ref: string, history: readonly HistoryEntry[] | null): Result<Version, Problem> {
  const named = /^baseline(?::([a-z][a-z0-9_]{0,63}))?$/.exec(ref);
  if (!named) return findVersion(versions, ref);
  if (history === null) return err(problem("invalid_version", `"${ref}" names a baseline: say which target (--target)`));
  const segment = named[1];
  const id = (segment !== undefined ? segmentBaselinesOf(history).get(segment) : undefined) ?? currentBaseline(history);
  return id ? findVersion(versions, id) : err(problem("unknown_version", `no baseline yet`));
}
