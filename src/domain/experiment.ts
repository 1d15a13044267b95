/** The statuses of an experiment (docs/decisions.md draws the lifecycle), as data. */
export type ExperimentStatus =
  | "draft"
  | "proposed"
  | "screening"
  | "rejected"
  | "canary"
  | "running"
  | "paused"
  | "committed"
  | "rolled_back"
  | "inconclusive"
  | "killed";

/** The statuses in which an experiment takes traffic. */
export type LiveStatus = "canary" | "running";

/**
 * Why a live experiment is paused: an operator's call (`POST …/pause`) or its schedule (outside
 * every window). Each is its own condition; candidates are served again only once both clear.
 */
export type PauseCause = "operator" | "schedule";

/**
 * Which status may follow which; everything else is refused (lifecycle/finish.ts asks). A
 * generation is proposed and screened within one step, so nothing can kill it before canary.
 * A paused experiment keeps its arms, units and statistics and goes back to the status it left
 * (also for the last analysis at its schedule's end, which may end a canary inconclusive).
 */
export const TRANSITIONS: Readonly<Record<ExperimentStatus, readonly ExperimentStatus[]>> = {
  // A generation that takes operators' drafts begins as a draft (lifecycle/draft.ts).
  draft: ["proposed"],
  proposed: ["screening"],
  screening: ["rejected", "canary"],
  canary: ["running", "paused", "rolled_back", "inconclusive", "killed"],
  running: ["paused", "committed", "rolled_back", "inconclusive", "killed"],
  paused: ["canary", "running", "killed"],
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
