import type { HistoryEntry } from "../domain/history.js";
import type { Version, VersionId } from "../domain/version.js";

/**
 * What one arm showed about the response surface: its KPIs' log-lifts against the baseline of
 * its experiment, live or in screening (a cheaper, biased source). The search keeps every
 * one — committed, rolled back, inconclusive or rejected — because each says something about
 * where the good configurations are (search/surrogate.ts).
 */
export interface Observation {
  readonly arm: VersionId;
  readonly base: VersionId;
  readonly source: "live" | "screening";
  /** y = ln(1 + relative effect) and its standard error, per KPI. */
  readonly kpis: Readonly<Record<string, { readonly y: number; readonly se: number }>>;
}

/** The most recent observations a target keeps: a fit stays a few milliseconds. */
export const MAX_OBSERVATIONS = 300;

type Reading = { kpi?: unknown; effect?: unknown; se?: unknown } | null | undefined;

function logLifts(readings: readonly Reading[]): Record<string, { y: number; se: number }> {
  const out: Record<string, { y: number; se: number }> = {};
  for (const r of readings) {
    if (!r || typeof r.kpi !== "string" || typeof r.effect !== "number" || typeof r.se !== "number") continue;
    if (!(r.effect > -1) || !Number.isFinite(r.effect) || !Number.isFinite(r.se) || r.se < 0) continue;
    out[r.kpi] = { y: Math.log1p(r.effect), se: r.se / (1 + r.effect) };
  }
  return out;
}

function observation(arm: VersionId, base: VersionId, source: Observation["source"], primary: Reading, guardrails: unknown): Observation | null {
  const kpis = logLifts([primary, ...(Array.isArray(guardrails) ? (guardrails as Reading[]) : [])]);
  return Object.keys(kpis).length === 0 ? null : { arm, base, source, kpis };
}

/**
 * Live observations from a decision's evidence (lifecycle/evidence.ts): one per arm with
 * estimates. At an experiment's end, arms pulled earlier are left out (they were observed when
 * they were pulled, with `only` naming them).
 */
export function liveObservations(evidence: unknown, base: VersionId, only?: VersionId): Observation[] {
  const arms = (evidence as { arms?: unknown } | null)?.arms;
  if (!Array.isArray(arms)) return [];
  return arms.flatMap((a: { arm?: unknown; pulled?: unknown; primary?: Reading; guardrails?: unknown }) => {
    if (typeof a?.arm !== "string" || (only === undefined ? a.pulled === true : a.arm !== only)) return [];
    const o = observation(a.arm, base, "live", a.primary, a.guardrails);
    return o ? [o] : [];
  });
}

/** A screening observation from a screened arm's evidence (sim/screening.ts). */
export function screeningObservation(arm: VersionId, base: VersionId, evidence: unknown): Observation | null {
  const e = evidence as { primary?: Reading; guardrails?: unknown } | null;
  return e ? observation(arm, base, "screening", e.primary, e.guardrails) : null;
}

/**
 * Appends, keeping the newest MAX_OBSERVATIONS. An arm pulled at the tick that ends its
 * experiment is read twice from the same analysis: the second reading is the same and dropped.
 */
export function withObservations(kept: readonly Observation[], added: readonly Observation[]): readonly Observation[] {
  const same = (a: Observation, b: Observation) => a.arm === b.arm && a.base === b.base && a.source === b.source && JSON.stringify(a.kpis) === JSON.stringify(b.kpis);
  const fresh = added.filter((o) => !kept.some((k) => same(k, o)));
  if (fresh.length === 0) return kept;
  const all = [...kept, ...fresh];
  return all.length > MAX_OBSERVATIONS ? all.slice(all.length - MAX_OBSERVATIONS) : all;
}

/**
 * The observations a history leads to, in the order the lifecycle made them: screening
 * results as each generation went live or was rejected, live results as arms were pulled and
 * as each experiment ended. A killed experiment recorded no evidence and adds none.
 */
export function observationsOf(history: readonly HistoryEntry[], versions: ReadonlyMap<VersionId, Version>): readonly Observation[] {
  const bases = new Map<string, VersionId>();
  let kept: readonly Observation[] = [];
  const parentOf = (id: VersionId): VersionId | null => versions.get(id)?.parent ?? null;
  for (const entry of history) {
    if (entry.kind === "arm_exit" && entry.exit === "pulled") {
      const base = bases.get(entry.experiment);
      if (base) kept = withObservations(kept, liveObservations(entry.evidence, base, entry.version));
    } else if (entry.kind === "arm_exit" && entry.exit === "rejected_in_screening") {
      const base = parentOf(entry.version);
      const o = base ? screeningObservation(entry.version, base, entry.evidence) : null;
      if (o) kept = withObservations(kept, [o]);
    } else if (entry.kind === "transition" && entry.to === "canary") {
      if (entry.arms?.[0]) bases.set(entry.experiment, entry.arms[0]);
      const screened = (entry.evidence as { screened?: unknown } | undefined)?.screened;
      if (!Array.isArray(screened)) continue;
      const added = screened.flatMap((s: { version?: unknown; evidence?: unknown }) => {
        const base = typeof s?.version === "string" ? parentOf(s.version) : null;
        const o = base ? screeningObservation(s.version as string, base, s.evidence) : null;
        return o ? [o] : [];
      });
      kept = withObservations(kept, added);
    } else if (entry.kind === "transition" && (entry.to === "committed" || entry.to === "rolled_back" || entry.to === "inconclusive")) {
      const base = bases.get(entry.experiment);
      if (base) kept = withObservations(kept, liveObservations(entry.evidence, base));
    }
  }
  return kept;
}
