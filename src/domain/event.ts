import type { VersionId } from "./version.js";

/**
 * A line of the transaction stream. An exposure says a unit was served a configuration; an
 * outcome reports KPI values for a unit. Either may name the arm (version id) it was served.
 */
export type StreamEvent = Exposure | Outcome;

export interface Exposure {
  readonly type: "exposure";
  readonly target: string;
  readonly unit: string;
  /** Milliseconds since the epoch. */
  readonly ts: number;
  readonly arm?: VersionId;
  /** The unit's attributes (country, device, orders in the last 30 days, …): what audiences read. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

export interface Outcome {
  readonly type: "outcome";
  readonly target: string;
  readonly unit: string;
  readonly ts: number;
  readonly arm?: VersionId;
  readonly metrics: Readonly<Record<string, number>>;
  /** What the stage runs behind this outcome did (a database write, an outbound call): docs/stages.md. */
  readonly effects?: readonly SideEffect[];
}

/** A side effect a stage logged on its context. */
export interface SideEffect {
  readonly stage: string;
  readonly kind: string;
  readonly detail?: unknown;
}
