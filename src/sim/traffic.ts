import { murmur3 } from "../assign/hash.js";
import type { Rng } from "../domain/rng.js";
import type { Segment } from "./response-model.js";

export interface Arrival {
  readonly ts: number;
  readonly unit: string;
  readonly segment: Segment;
}

/** A unit's segment: fixed per unit (a hash of its id), so a returning unit keeps its segment. */
export function segmentOf(unit: string, segments: readonly Segment[]): Segment {
  const u = murmur3(`segment\u0000${unit}`) / 2 ** 32;
  let cumulative = 0;
  for (const segment of segments) {
    cumulative += segment.share;
    if (u < cumulative) return segment;
  }
  return segments[segments.length - 1] as Segment;
}

/**
 * Visits as a Poisson process in virtual time: exponential gaps at `visitsPerSecond`, each by a
 * unit drawn uniformly from the population (so units return and must keep their arm).
 */
export function* arrivals(input: { visitsPerSecond: number; population: number; segments: readonly Segment[]; start: number; rng: Rng; prefix?: string }): Generator<Arrival> {
  const meanGapMs = 1000 / input.visitsPerSecond;
  const prefix = input.prefix ?? "u";
  let t = input.start;
  for (;;) {
    t += -Math.log(1 - input.rng.next()) * meanGapMs;
    const unit = `${prefix}${input.rng.int(input.population)}`;
    yield { ts: Math.floor(t), unit, segment: segmentOf(unit, input.segments) };
  }
}
