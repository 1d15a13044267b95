import type { Direction } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { ConfigValues } from "../domain/values.js";
import type { FeatureSpace } from "./features.js";
import type { Observation } from "./observations.js";
import { fitRegression, type Fit, type Row } from "./regression.js";

/** One KPI the search models: the primary, or a guardrail with its tolerance. */
export interface ModelledKpi {
  readonly kpi: string;
  readonly direction: Direction;
  /** Guardrails only: the largest relative degradation allowed. */
  readonly tolerance?: number;
  /** Guardrails only: how far the current baseline has already moved from the anchor (log scale). */
  readonly drift?: number;
}

/**
 * The response surface as far as the evidence goes: one regression per KPI (search/regression.ts)
 * over the target's feature space, fitted on every observation that has that KPI.
 */
export interface Surrogate {
  readonly fits: ReadonlyMap<string, Fit>;
  /** Live observations the fits saw (0: the model knows only its prior and screening). */
  readonly liveRows: number;
  /** φ(values) − φ(baseline): what every prediction is made on. */
  difference(values: ConfigValues): Float64Array;
}

export function fitSurrogate(space: FeatureSpace, kpis: readonly ModelledKpi[], observations: readonly Observation[], versions: ReadonlyMap<VersionId, Version>, baseline: Version): Surrogate {
  const encoded = new Map<VersionId, Float64Array>();
  const encode = (id: VersionId): Float64Array | null => {
    const known = encoded.get(id);
    if (known) return known;
    const version = versions.get(id);
    if (!version) return null;
    const x = space.encode(version.values);
    encoded.set(id, x);
    return x;
  };
  // Each observation's feature difference, once for all KPIs (null when a version is unknown).
  const differences = observations.map((o) => {
    const arm = encode(o.arm);
    const base = encode(o.base);
    return arm && base ? arm.map((v, f) => v - (base[f] as number)) : null;
  });
  const fits = new Map<string, Fit>();
  let liveRows = 0;
  for (const { kpi } of kpis) {
    const rows: Row[] = [];
    observations.forEach((o, i) => {
      const reading = o.kpis[kpi];
      const x = differences[i];
      if (reading && x) rows.push({ x, y: reading.y, se: reading.se, screening: o.source === "screening" });
    });
    if (kpi === kpis[0]?.kpi) liveRows = rows.filter((r) => !r.screening).length;
    const fit = fitRegression(rows, space.prior);
    if (fit) fits.set(kpi, fit);
  }
  const base = space.encode(baseline.values);
  return { fits, liveRows, difference: (values) => space.encode(values).map((v, f) => v - (base[f] as number)) };
}

/** Log-lift in the KPI's good direction (positive = better). */
export const goodSide = (logLift: number, direction: Direction): number => (direction === "increase" ? logLift : -logLift);

/**
 * Whether a guardrail's log-lift keeps it within tolerance, both against the current baseline
 * and, chained with the baseline's drift, against the anchor.
 */
export function withinTolerance(logLift: number, g: ModelledKpi): boolean {
  if (g.tolerance === undefined) return true;
  const limit = g.tolerance;
  // Per experiment as decide() reads it (relative effect), from the anchor as drift.ts chains it (log scale).
  return -goodSide(Math.expm1(logLift), g.direction) <= limit && -goodSide(logLift + (g.drift ?? 0), g.direction) <= limit;
}
