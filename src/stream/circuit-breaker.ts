import type { Direction, Policy } from "../domain/target.js";

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
