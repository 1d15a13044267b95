import type { ScreenedArm, Screener } from "../domain/ports.js";
import type { Target } from "../domain/target.js";
import { getPath } from "../domain/values.js";
import type { Version } from "../domain/version.js";
import type { StepContext } from "./inputs.js";

/** The registries a generation draws from: the file's lists, with each stage's reported versions. */
export function registriesOf(ctx: StepContext): Readonly<Record<string, readonly string[]>> {
  return ctx.registries?.() ?? ctx.target.functions;
}

/** A candidate that skipped screening, and the stage setting no screening model covers. */
export interface SkippedScreening {
  readonly version: string;
  readonly stage: string;
  readonly path: string;
  readonly value: string;
}

/**
 * Candidates whose stage settings the screening model cannot simulate (a version of stage code it
 * has no term for) skip screening: they pass with that reason, recorded in the history, and start
 * at the first canary step like the others, where the stage's error guardrail and its circuit
 * breaker watch them. The rest are screened as usual.
 */
export function splitUnscreenable(target: Target, parent: Version, candidates: readonly Version[], screen: Screener): { screenable: Version[]; skipped: ScreenedArm[]; records: SkippedScreening[] } {
  const stageLeaves = target.schema.flatMap((leaf) => (leaf.kind === "function" && leaf.stage !== undefined ? [{ path: leaf.path, stage: leaf.stage }] : []));
  const screenable: Version[] = [];
  const skipped: ScreenedArm[] = [];
  const records: SkippedScreening[] = [];
  for (const candidate of candidates) {
    const uncovered = stageLeaves.find(({ path }) => {
      const value = getPath(candidate.values, path);
      return value !== getPath(parent.values, path) && !(screen.covers?.(path, value) ?? true);
    });
    if (!uncovered) {
      screenable.push(candidate);
      continue;
    }
    const value = String(getPath(candidate.values, uncovered.path));
    records.push({ version: candidate.id, stage: uncovered.stage, path: uncovered.path, value });
    skipped.push({ version: candidate, score: 0, reason: `screening skipped: no screening model covers version ${value.slice(0, 12)} of stage "${uncovered.stage}" (${uncovered.path})`, evidence: null });
  }
  return { screenable, skipped, records };
}
