import type { StreamEvent } from "../domain/event.js";
import { problem, type Problem } from "../domain/result.js";
import type { Policy } from "../domain/target.js";
import { parseEvent } from "./parse-event.js";

/** Units whose budgets are remembered; beyond, the oldest half is forgotten (a unit then starts full). */
const MAX_UNITS = 200_000;

/**
 * What a browser's events must also satisfy (docs/sdk.md): a browser's client key is public, so
 * anyone can send events with it. They may name only the key's targets; each unit of a target
 * has a budget of `perMinute` events (a token bucket refilled continuously, as full as a
 * minute's worth); and an outcome's values must be ones its KPI's metric can take — 0 or 1 for
 * a proportion, a non-negative integer for a count, non-negative for a quantile's values.
 */
export class UntrustedEvents {
  private readonly budgets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly policyOf: (target: string) => Policy | undefined,
  ) {}

  /** Why the line is refused, or null (then it goes on to the pipeline, which parses it again). */
  check(line: unknown, allowed: ReadonlySet<string>, now: number): Problem | null {
    const parsed = parseEvent(line);
    if (!parsed.ok) return null; // the pipeline refuses it with its own reason
    const event = parsed.value;
    if (!allowed.has(event.target)) return problem("forbidden_target", `target "${event.target}": this client key may not send its events`);
    if (!this.take(`${event.target}\n${event.unit}`, now)) return problem("rate_limited", `unit "${event.unit.slice(0, 64)}" of "${event.target}": more than ${this.perMinute} events a minute from a client key`);
    return event.type === "outcome" ? valueProblem(event, this.policyOf(event.target)) : null;
  }

  private take(key: string, now: number): boolean {
    let budget = this.budgets.get(key);
    if (!budget) {
      if (this.budgets.size >= MAX_UNITS) for (const k of [...this.budgets.keys()].slice(0, MAX_UNITS / 2)) this.budgets.delete(k);
      this.budgets.set(key, (budget = { tokens: this.perMinute, at: now }));
    }
    budget.tokens = Math.min(this.perMinute, budget.tokens + ((now - budget.at) * this.perMinute) / 60_000);
    budget.at = now;
    if (budget.tokens < 1) return false;
    budget.tokens -= 1;
    return true;
  }
}

/** An outcome value its KPI's metric cannot take, or null. KPIs the policy does not name are left to the pipeline (ignored). */
function valueProblem(event: Extract<StreamEvent, { type: "outcome" }>, policy: Policy | undefined): Problem | null {
  if (!policy) return null;
  const kpis = [policy.primary, ...policy.guardrails];
  for (const [name, value] of Object.entries(event.metrics)) {
    for (const k of kpis) {
      const reads = k.metric === "ratio" ? [k.numerator, k.denominator] : k.metric === "quantile" ? [k.of ?? k.kpi] : [k.kpi];
      if (!reads.includes(name)) continue;
      const broken =
        k.kind === "proportion" && k.metric !== "ratio" && value !== 0 && value !== 1 ? "must be 0 or 1 (a proportion)"
        : k.metric === "count" && !(Number.isInteger(value) && value >= 0) ? "must be a non-negative integer (a count)"
        : k.metric === "quantile" && value < 0 ? "must not be negative (a quantile's values: latencies, sizes)"
        : null;
      if (broken) return problem("invalid_value", `metrics.${name}: ${broken}`);
    }
  }
  return null;
}
