import type { EvaluationContext, JsonValue, ResolutionDetails, TrackingEventDetails } from "@openfeature/core";
import { ErrorCode } from "@openfeature/core";
import type { Provider } from "@openfeature/server-sdk";
import { outcomeMetrics, typeMismatch, type Kind } from "./shared.js";
import { shortId } from "../config/canonical.js";
import { getPath, type ConfigValues } from "../domain/values.js";
import { createClient, type ClientOptions, type EvolvdClient } from "../sdk/index.js";

export interface EvolvdLocalProviderOptions extends ClientOptions {
  /** Target that `track()` outcomes belong to when the details name none (`details.target`). */
  readonly target?: string;
  /** How long initialize() waits for the first state (default 10 s). */
  readonly readyTimeoutMs?: number;
}

/**
 * An in-process OpenFeature server provider on the evolvd SDK (sdk/client.ts): flags
 * (`<target>` or `<target>.<path>`) are answered from the synced serving state without a
 * network round trip, with the same value, variant, reason and metadata the OFREP provider
 * (openfeature/provider.ts) gets from the daemon. `track` reports outcomes through the SDK's
 * batched events, naming the arm the unit was last evaluated in.
 *
 * @example
 *   await OpenFeature.setProviderAndWait(new EvolvdLocalProvider({ url: "http://127.0.0.1:8787", target: "checkout" }));
 *   const limit = await OpenFeature.getClient().getNumberValue("checkout.retry.limit", 2, { targetingKey: userId });
 */
export class EvolvdLocalProvider implements Provider {
  readonly metadata = { name: "evolvd-in-process" } as const;
  readonly runsOn = "server" as const;
  readonly client: EvolvdClient;

  constructor(private readonly options: EvolvdLocalProviderOptions) {
    this.client = createClient(options);
  }

  async initialize(): Promise<void> {
    await this.client.ready(this.options.readyTimeoutMs ?? 10_000);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.evaluate(flagKey, defaultValue, context, "boolean"));
  }
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.evaluate(flagKey, defaultValue, context, "string"));
  }
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.evaluate(flagKey, defaultValue, context, "number"));
  }
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.evaluate(flagKey, defaultValue, context, "object"));
  }

  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails): void {
    const unit = context.targetingKey;
    const target = typeof details.target === "string" ? details.target : this.options.target;
    if (!unit || !target) return;
    const metrics = outcomeMetrics(trackingEventName, details);
    this.client.track(target, unit, metrics);
  }

  async onClose(): Promise<void> {
    await this.client.close();
  }

  private evaluate<T>(flagKey: string, defaultValue: T, context: EvaluationContext, kind: Kind): ResolutionDetails<T> {
    const unit = context.targetingKey;
    if (!unit) return { value: defaultValue, reason: "ERROR", errorCode: ErrorCode.TARGETING_KEY_MISSING, errorMessage: "context.targetingKey is required: it is the unit evolvd randomizes" };
    const dot = flagKey.indexOf(".");
    const target = dot < 0 ? flagKey : flagKey.slice(0, dot);
    const answer = this.client.evaluate(target, unit, context);
    if (answer.reason === "ERROR") return { value: defaultValue, reason: "ERROR", errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `no target named ${JSON.stringify(target)}` };
    const value = dot < 0 ? answer.value : getPath(answer.value as ConfigValues, flagKey.slice(dot + 1));
    if (value === undefined) return { value: defaultValue, reason: "ERROR", errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `target "${target}" has no setting "${flagKey.slice(dot + 1)}"` };
    const mismatch = typeMismatch(flagKey, value, kind, defaultValue);
    if (mismatch) return mismatch;
    // The metadata OFREP sends (server/ofrep.ts).
    const flagMetadata: Record<string, string> = { target, version: answer.version, arm: answer.armLabel ?? "baseline" };
    if (answer.experiment) flagMetadata.experiment = answer.experiment;
    if (answer.audience) flagMetadata.audience = answer.audience;
    return { value: value as T, reason: answer.reason, variant: shortId(answer.version), flagMetadata };
  }
}
