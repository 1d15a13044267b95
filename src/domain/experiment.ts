import type { VersionId } from "./version.js";

/** The experiment lifecycle of DESIGN.md, as data. */
export type ExperimentStatus =
  | "proposed"
  | "screening"
  | "rejected"
  | "canary"
  | "running"
  | "committed"
  | "rolled_back"
  | "inconclusive"
  | "killed";

export const TERMINAL_STATUSES: ReadonlySet<ExperimentStatus> = new Set([
  "rejected",
  "committed",
  "rolled_back",
  "inconclusive",
  "killed",
]);

/** Which status may follow which; everything else is a bug and is refused. */
export const TRANSITIONS: Readonly<Record<ExperimentStatus, readonly ExperimentStatus[]>> = {
  proposed: ["screening", "killed"],
  screening: ["rejected", "canary", "killed"],
  canary: ["running", "rolled_back", "killed"],
  running: ["committed", "rolled_back", "inconclusive", "killed"],
  rejected: [],
  committed: [],
  rolled_back: [],
  inconclusive: [],
  killed: [],
};

export function canTransition(from: ExperimentStatus, to: ExperimentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isLive(status: ExperimentStatus): boolean {
  return status === "canary" || status === "running";
}

/** One recorded transition with its reason and the numbers behind it. */
export interface Transition {
  readonly experiment: string;
  readonly from: ExperimentStatus;
  readonly to: ExperimentStatus;
  readonly at: number;
  readonly reason: string;
  readonly evidence?: unknown;
}

/** Why an arm left an experiment early. */
export type ArmExit =
  | { readonly kind: "rejected_in_screening"; readonly reason: string }
  | { readonly kind: "pulled"; readonly reason: string; readonly at: number };

export interface ArmRecord {
  readonly version: VersionId;
  readonly role: "baseline" | "candidate";
  readonly exit?: ArmExit;
}
