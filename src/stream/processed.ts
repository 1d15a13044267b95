import type { StreamEvent } from "../domain/event.js";
import type { Problem } from "../domain/result.js";
import type { LiveExperiment } from "./live-experiment.js";

/** What became of one line of the stream; counted by kind and reason. */
export type Processed =
  /** ignoredKpis: KPIs of the outcome that are not the policy's (counted, not accumulated). */
  | { readonly kind: "accepted"; readonly event: StreamEvent; readonly experiment: LiveExperiment; readonly arm: number; readonly ignoredKpis: number }
  /** Valid, but outside any live experiment (e.g. a baseline outcome between generations). */
  | { readonly kind: "ignored"; readonly event: StreamEvent; readonly reason: string }
  | { readonly kind: "rejected"; readonly problem: Problem };

/** A validated event routed to its target's live experiment. */
export type Routed =
  | { readonly kind: "routed"; readonly event: StreamEvent; readonly experiment: LiveExperiment }
  | Exclude<Processed, { kind: "accepted" }>;
