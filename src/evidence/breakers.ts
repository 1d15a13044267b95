import type { BreakerTrip } from "../domain/snapshot.js";
import type { Direction, Policy } from "../domain/target.js";
import type { VersionId } from "../domain/version.js";

/** Observations a breaker averages over, and the fewest it acts on. */
export const BREAKER_WINDOW = 500;
export const BREAKER_MIN_OBSERVATIONS = 30;
/**
 * Standard errors the window's rate must be past the limit by. The check runs on every
 * outcome, so without a margin a 2% error rate would cross an 8% limit by chance within a few
 * hundred outcomes; with it, noise essentially never trips, and a real breach (say 30%
 * errors) still trips within a few dozen.
 */
export const BREAKER_MARGIN_SE = 3;

export interface BreakerRule {
  readonly kpi: string;
  readonly direction: Direction;
  /** Absolute level of the KPI's mean beyond which the arm is pulled at once. */
  readonly limit: number;
}

/**
 * A sliding window over an arm's last BREAKER_WINDOW observations of one proportion KPI.
 * `observe` returns the window's rate when it is past the limit on the bad side by more than
 * BREAKER_MARGIN_SE standard errors (a trip), else null. It does not wait for the sequential
 * test: it acts on the raw window, on every outcome.
 */
export class SlidingBreaker {
  private readonly values = new Float64Array(BREAKER_WINDOW);
  private count = 0;
  private next = 0;
  private sum = 0;

  constructor(readonly rule: BreakerRule) {}

  observe(x: number): number | null {
    if (this.count === BREAKER_WINDOW) this.sum -= this.values[this.next] as number;
    else this.count++;
    this.values[this.next] = x;
    this.sum += x;
    this.next = (this.next + 1) % BREAKER_WINDOW;
    if (this.count < BREAKER_MIN_OBSERVATIONS) return null;
    const mean = this.sum / this.count;
    const margin = BREAKER_MARGIN_SE * Math.sqrt((mean * (1 - mean)) / this.count);
    const crossed = this.rule.direction === "decrease" ? mean - margin > this.rule.limit : mean + margin < this.rule.limit;
    return crossed ? mean : null;
  }

  get observations(): number {
    return this.count;
  }
}

/** The breakers of a policy: one per guardrail with a hard limit. */
export function breakerRules(policy: Policy): BreakerRule[] {
  return policy.guardrails.flatMap((g) => (g.hardLimit === undefined ? [] : [{ kpi: g.kpi, direction: g.direction, limit: g.hardLimit }]));
}

/**
 * The circuit breakers of one experiment: per candidate arm, a window per guardrail with a hard
 * limit (the baseline has none: it is what traffic falls back to), and the trips not yet
 * reported to an analysis tick.
 */
export class ArmBreakers {
  private windows: SlidingBreaker[][];
  private trips: BreakerTrip[] = [];

  constructor(arms: number, rules: readonly BreakerRule[]) {
    this.windows = Array.from({ length: arms }, (_, i) => (i === 0 ? [] : rules.map((rule) => new SlidingBreaker(rule))));
  }

  /**
   * Feeds an outcome of `arm` to its windows; returns the trip when one crossed its limit (the
   * caller pulls the arm at once), else null.
   */
  observe(arm: number, armId: VersionId, metrics: Readonly<Record<string, number>>, ts: number): BreakerTrip | null {
    for (const breaker of this.windows[arm] ?? []) {
      const x = metrics[breaker.rule.kpi];
      if (x === undefined) continue;
      const rate = breaker.observe(x);
      if (rate === null) continue;
      const trip: BreakerTrip = { arm: armId, kpi: breaker.rule.kpi, rate, limit: breaker.rule.limit, n: breaker.observations, at: ts };
      this.trips.push(trip);
      return trip;
    }
    return null;
  }

  /** Trips since the last drain (a replica ships them to the instance that decides). */
  drain(): BreakerTrip[] {
    const trips = this.trips;
    this.trips = [];
    return trips;
  }

  /** Trips other instances saw, reported by the next snapshot: one per arm, none for an arm out of traffic. */
  add(trips: readonly BreakerTrip[], inTraffic: (arm: VersionId) => boolean): void {
    for (const trip of trips) if (inTraffic(trip.arm) && !this.trips.some((t) => t.arm === trip.arm)) this.trips.push(trip);
  }

  /** Takes the previous copy's windows: a reload must not give a failing arm a fresh start. */
  adopt(previous: ArmBreakers): void {
    if (previous.windows.length === this.windows.length) this.windows = previous.windows;
  }
}
