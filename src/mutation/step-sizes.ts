import type { HistoryEntry } from "../domain/history.js";
import type { Version, VersionId } from "../domain/version.js";

/**
 * Step-size adaptation of the `nudge` operator, per setting, by the 1/5th success rule
 * (Rechenberg; the form of Kern et al. 2004): each live candidate that nudged a setting moves
 * that setting's step scale by ×e^(1/3) when it was committed and ×e^(−1/12) when it was not,
 * so the scale holds where one nudge in five wins, grows while nudges keep winning (an optimum
 * far away is reached in fewer generations) and shrinks while they keep losing (a near one is
 * refined). Kept on the log scale, within [1/8, 4] × the file's maxStep, and replayed from the
 * history at restart, so every way evolvd runs proposes the same candidates.
 */
export type StepScales = ReadonlyMap<string, number>;

const UP = 1 / 3;
const DOWN = -1 / 12;
const LOWEST = Math.log(1 / 8);
const HIGHEST = Math.log(4);

export const NO_SCALES: StepScales = new Map();

/** The scales after an experiment whose live candidates were `arms`, `committed` among them or null. */
export function afterExperiment(scales: StepScales, arms: readonly Version[], committed: VersionId | null): StepScales {
  const next = new Map(scales);
  for (const arm of arms) {
    const paths = new Set(arm.mutations.filter((m) => m.op === "nudge").map((m) => m.path));
    for (const path of paths) next.set(path, Math.min(HIGHEST, Math.max(LOWEST, (next.get(path) ?? 0) + (arm.id === committed ? UP : DOWN))));
  }
  return next;
}

/** An experiment's candidates (its arms but the baseline, listed first) as versions. */
export function liveCandidates(versions: ReadonlyMap<VersionId, Version>, arms: readonly VersionId[]): Version[] {
  return arms.slice(1).flatMap((id) => {
    const v = versions.get(id);
    return v ? [v] : [];
  });
}

/**
 * The scales a history leads to: every experiment that ended committed, rolled back or
 * inconclusive, in the order they ended, with the candidates its canary started with.
 */
export function scalesOf(history: readonly HistoryEntry[], versions: ReadonlyMap<VersionId, Version>): StepScales {
  const arms = new Map<string, readonly VersionId[]>();
  const winners = new Map<string, VersionId>();
  const ended: string[] = [];
  for (const entry of history) {
    if (entry.kind === "transition" && entry.to === "canary" && entry.arms) arms.set(entry.experiment, entry.arms);
    else if (entry.kind === "transition" && (entry.to === "committed" || entry.to === "rolled_back" || entry.to === "inconclusive")) ended.push(entry.experiment);
    else if (entry.kind === "baseline" && entry.cause === "commit" && entry.experiment) winners.set(entry.experiment, entry.version);
  }
  return ended.reduce((scales, id) => afterExperiment(scales, liveCandidates(versions, arms.get(id) ?? []), winners.get(id) ?? null), NO_SCALES);
}

/** The multiplier of a setting's maxStep now (1 until it has been tried). */
export function stepScale(scales: StepScales, path: string): number {
  return Math.exp(scales.get(path) ?? 0);
}
