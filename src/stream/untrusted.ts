import { problem, type Problem } from "../domain/result.js";
import { parseEvent } from "./parse-event.js";

/** Units whose budgets are remembered; beyond, the oldest half is forgotten (a unit then starts full). */
const MAX_UNITS = 200_000;

/**
 * What a browser's events must also satisfy (docs/sdk.md): a browser's client key is public, so
 * anyone can send events with it. They may name only the key's targets; each unit of a target
 * has a budget of `perMinute` events (a token bucket refilled continuously, as full as a
 * minute's worth). That an outcome's values are ones their KPI's metric can take is checked for
 * every event, trusted or not (evidence/kpi-rules.ts).
 */
export class UntrustedEvents {
  private readonly budgets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /**
   * Why the line is refused, or what goes on to the pipeline: the parsed event (its text is not
   * parsed twice), or the line as it came when it does not parse (the pipeline names why).
   */
  check(line: unknown, allowed: ReadonlySet<string>, now: number): { readonly refused: Problem } | { readonly line: unknown } {
    const parsed = parseEvent(line);
    if (!parsed.ok) return { line };
    const event = parsed.value;
    if (!allowed.has(event.target)) return { refused: problem("forbidden_target", `target "${event.target}": this client key may not send its events`) };
    if (!this.take(`${event.target}\n${event.unit}`, now)) return { refused: problem("rate_limited", `unit "${event.unit.slice(0, 64)}" of "${event.target}": more than ${this.perMinute} events a minute from a client key`) };
    return { line: event };
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
