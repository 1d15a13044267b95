import type { Direction, Policy } from "../domain/target.js";

/** Observations a breaker averages over, and the fewest it acts on. */
export const BREAKER_WINDOW = 500;
export const BREAKER_MIN_OBSERVATIONS = 30;

export interface BreakerRule {
  readonly kpi: string;
  readonly direction: Direction;
  /** Absolute level of the KPI's mean beyond which the arm is pulled at once. */
  readonly limit: number;
}

/**
 * A sliding window over an arm's last BREAKER_WINDOW observations of one KPI. `observe`
 * returns the window's mean when it has crossed the limit on the bad side (a trip), else null.
 * No statistics: a hard limit is a hard limit.
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
    const crossed = this.rule.direction === "decrease" ? mean > this.rule.limit : mean < this.rule.limit;
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
