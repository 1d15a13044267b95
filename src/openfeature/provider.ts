import type { EvaluationContext, JsonValue, Logger, ResolutionDetails, TrackingEventDetails } from "@openfeature/core";
import type { Provider } from "@openfeature/server-sdk";
import { outcomeMetrics, typeMismatch, type Kind } from "./shared.js";
import { handleEvaluationError, OFREPApi, toResolutionDetails, type OFREPProviderBaseOptions } from "@openfeature/ofrep-core";
import type { Clock } from "../domain/clock.js";
import { systemClock } from "../system-clock.js";

export interface EvolvdProviderOptions extends OFREPProviderBaseOptions {
  /** Target that `track()` outcomes belong to when the details name none (`details.target`). */
  readonly target?: string;
  /** Units whose served version is remembered for attribution (least recently used dropped). */
  readonly rememberUnits?: number;
  readonly clock?: Clock;
}

/**
 * An OpenFeature server provider for evolvd, on the OFREP core library. Flags are evaluated
 * remotely (`<target>` or `<target>.<path>`); `track(kpi, context, details)` reports an outcome
 * — KPI `kpi` with `details.value` (1 when absent) plus every other numeric field of `details` —
 * to `POST /v1/events`, naming the version the unit was last served so evolvd attributes it to
 * the right arm even across restarts.
 *
 * @example
 *   await OpenFeature.setProviderAndWait(new EvolvdProvider({ baseUrl: "http://127.0.0.1:8787", target: "checkout" }));
 *   const limit = await OpenFeature.getClient().getNumberValue("checkout.retry.limit", 2, { targetingKey: userId });
 *   OpenFeature.getClient().track("conversion", { targetingKey: userId }, { value: 1, latency_ms: 182 });
 */
export class EvolvdProvider implements Provider {
  readonly metadata = { name: "evolvd" } as const;
  readonly runsOn = "server" as const;
  private readonly api: OFREPApi;
  private readonly served = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: EvolvdProviderOptions) {
    this.api = new OFREPApi(options, options.fetchImplementation);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<boolean>> {
    return this.evaluate(flagKey, defaultValue, context, "boolean", logger);
  }
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<string>> {
    return this.evaluate(flagKey, defaultValue, context, "string", logger);
  }
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<number>> {
    return this.evaluate(flagKey, defaultValue, context, "number", logger);
  }
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<T>> {
    return this.evaluate(flagKey, defaultValue, context, "object", logger);
  }

  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails): void {
    const unit = context.targetingKey;
    const target = typeof details.target === "string" ? details.target : this.options.target;
    if (!unit || !target) return; // nothing to attribute: OpenFeature's track never throws
    const metrics = outcomeMetrics(trackingEventName, details);
    const arm = this.served.get(`${target}\u0000${unit}`);
    const event = { type: "outcome", target, unit, ts: (this.options.clock ?? systemClock).now(), ...(arm ? { arm } : {}), metrics };
    const sent = this.post(event).finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for outcomes still being sent (call before exiting). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async onClose(): Promise<void> {
    await this.flush();
    this.api.close();
  }

  private async evaluate<T>(flagKey: string, defaultValue: T, context: EvaluationContext, kind: Kind, logger: Logger): Promise<ResolutionDetails<T>> {
    try {
      const result = await this.api.postEvaluateFlag(flagKey, { context });
      if (result.httpStatus !== 200) return handleEvaluationError(result.value as never, defaultValue, (e) => logger.warn(`evolvd: ${flagKey}: ${JSON.stringify(e)}`));
      const value = result.value.value;
      const mismatch = typeMismatch(flagKey, value, kind, defaultValue);
      if (mismatch) return mismatch;
      this.remember(result.value.metadata, context.targetingKey);
      return toResolutionDetails(result.value as never, defaultValue as never) as ResolutionDetails<T>;
    } catch (error) {
      return handleEvaluationError(error as Error, defaultValue, (e) => logger.warn(`evolvd: ${flagKey}: ${String(e)}`));
    }
  }

  /** Remembers which version a unit was served, for the `arm` of its outcomes. */
  private remember(metadata: unknown, unit: string | undefined): void {
    const m = metadata as { target?: unknown; version?: unknown; experiment?: unknown } | undefined;
    if (typeof m?.target !== "string" || typeof m.version !== "string" || !unit) return;
    const key = `${m.target}\u0000${unit}`;
    this.served.delete(key);
    // Only an experiment's arm is remembered: a unit outside its audience (or served with none
    // live) names no arm, so its outcomes are never counted for the baseline arm.
    if (typeof m.experiment !== "string") return;
    this.served.set(key, m.version);
    const limit = this.options.rememberUnits ?? 10_000;
    if (this.served.size > limit) this.served.delete(this.served.keys().next().value as string);
  }

  private async post(event: object): Promise<void> {
    const headers = new Headers({ "content-type": "application/json" });
    for (const [k, v] of this.options.headers ?? []) headers.set(k, v);
    for (const [k, v] of (await this.options.headersFactory?.()) ?? []) headers.set(k, v);
    const fetchImpl = this.options.fetchImplementation ?? fetch;
    try {
      await fetchImpl(new URL("/v1/events", this.options.baseUrl), { method: "POST", headers, body: JSON.stringify(event) });
    } catch {
      // Outcomes are best effort: a lost outcome costs a little power, never the application.
    }
  }
}
