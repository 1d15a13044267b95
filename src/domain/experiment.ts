/** The statuses of an experiment (docs/decisions.md draws the lifecycle), as data. */
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

/** The statuses in which an experiment takes traffic. */
export type LiveStatus = "canary" | "running";

/**
 * Which status may follow which; everything else is refused (lifecycle/finish.ts asks). A
 * generation is proposed and screened within one step, so nothing can kill it before canary.
 */
export const TRANSITIONS: Readonly<Record<ExperimentStatus, readonly ExperimentStatus[]>> = {
  proposed: ["screening"],
  screening: ["rejected", "canary"],
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

export function isLive(status: ExperimentStatus): status is LiveStatus {
  return status === "canary" || status === "running";
}
