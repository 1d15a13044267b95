import type { ResolutionDetails, TrackingEventDetails } from "@openfeature/core";
import { ErrorCode } from "@openfeature/core";

/** The flag types OpenFeature asks for. */
export type Kind = "boolean" | "string" | "number" | "object";

/** The answer to a flag asked as the wrong type (the default, TYPE_MISMATCH), or null when `value` is a `kind`. */
export function typeMismatch<T>(flagKey: string, value: unknown, kind: Kind, defaultValue: T): ResolutionDetails<T> | null {
  const actual = Array.isArray(value) || value === null ? "object" : typeof value;
  return actual === kind ? null : { value: defaultValue, reason: "ERROR", errorCode: ErrorCode.TYPE_MISMATCH, errorMessage: `${flagKey} is a ${actual}, asked as ${kind}` };
}

/** An outcome's metrics from OpenFeature's `track(name, context, details)`: KPI `name` with `details.value` (1 when absent), plus every other numeric field. */
export function outcomeMetrics(trackingEventName: string, details: TrackingEventDetails): Record<string, number> {
  const metrics: Record<string, number> = { [trackingEventName]: typeof details.value === "number" ? details.value : 1 };
  for (const [name, value] of Object.entries(details)) if (name !== "value" && typeof value === "number") metrics[name] = value;
  return metrics;
}
