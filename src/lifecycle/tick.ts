import { bucketCounts } from "../assign/bucket-table.js";
import { BUCKETS } from "../assign/hash.js";
import { allocate, probabilityBest, rememberingLast, totalVariation } from "../decide/allocation.js";
import { analyze } from "../decide/analysis.js";
import { decide, type Verdict } from "../decide/decision.js";
import { analyzeSegments, segmentEvidence } from "../decide/segments.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import { liveObservations, withObservations } from "../search/observations.js";
import { log, type Effect } from "./effects.js";
import { evidenceOf } from "./evidence.js";
import { finish, promote } from "./finish.js";
import type { StepContext } from "./inputs.js";
import { updateRecord } from "./records.js";
import { segmentCommits, spareFor } from "./segment-commits.js";
import type { TargetState } from "./state.js";

/** Weights as a bucket table realises them (what a pull or a reallocation leaves in force). */
const realised = (weights: readonly number[]): number[] => bucketCounts(weights).map((c) => c / BUCKETS);

/**
 * One analysis tick of a live experiment: read the snapshot, decide (decide/decision.ts), and
 * act — pull arms, ramp, promote, commit, roll back, end inconclusive — then, while it stays
 * live, move the allocation (bandit after burn-in) and checkpoint.
 */
export function tickLive(state: TargetState & { kind: "live" }, snapshot: ExperimentSnapshot, now: number, ctx: StepContext): { state: TargetState; effects: Effect[] } {
  const policy = ctx.target.policy;
  const target = ctx.target.name;
  const id = state.experiment.id;
  const analysis = analyze(snapshot, policy);
  const segments = snapshot.segments ? analyzeSegments(snapshot, policy) : null;
  const seen = { lastAnalysis: analysis, lastSegments: segments, lastSnapshot: snapshot };
  // Paused: no traffic comes, so nothing is decided; status views still see the analysis.
  if (state.experiment.paused.length > 0) return { state: { ...state, records: updateRecord(state.records, id, seen) }, effects: [{ kind: "checkpoint" }] };
  // Per-segment baselines: an arm worse on the whole may still win a segment (lifecycle/segment-commits.ts).
  const perSegment = policy.segmentBaselines && segments ? segments : null;
  const decision = decide(snapshot, analysis, policy, state.drift.get(state.baseline.id), perSegment ? { spare: spareFor(perSegment) } : {});
  // Decisions are taken on the whole; the history keeps how each segment read at the time.
  const evidence = segments ? { ...(evidenceOf(analysis, snapshot) as object), segments: segmentEvidence(segments) } : evidenceOf(analysis, snapshot);
  const effects: Effect[] = [];
  let records = updateRecord(state.records, id, seen);
  let next: TargetState = { ...state, records };

  for (const pull of decision.pulls) {
    effects.push({ kind: "pull", arm: pull.arm, at: now });
    effects.push({ kind: "append", entries: [{ kind: "arm_exit", at: now, experiment: id, version: pull.arm, exit: "pulled", reason: pull.reason, evidence }] });
    effects.push(log("warn", { target, experiment: id, arm: pull.arm, cause: pull.cause, reason: pull.reason }, "arm pulled"));
    const last = next.records[next.records.length - 1];
    records = updateRecord(next.records, id, { pulled: [...(last?.pulled ?? []), { version: pull.arm, reason: pull.reason }] });
    // What the arm showed up to its pull is evidence for the search (search/observations.ts).
    next = { ...next, records, observations: withObservations(next.observations, liveObservations(evidence, state.experiment.arms[0] as string, pull.arm)) };
  }
  const live = next as TargetState & { kind: "live" };
  const out = new Set([...snapshot.pulled, ...decision.pulls.map((p) => p.arm)]);
  const commits = perSegment && live.experiment.status === "running" && !["rollback", "hold"].includes(decision.verdict.kind) ? segmentCommits(live, perSegment, decision.verdict, out, policy) : [];
  // With per-segment baselines a commit is for the segments that take it; none takes it: go on.
  const verdict: Verdict = commits.length > 0 ? { kind: "commit", arm: commits[0]?.version as string, reason: commits.map((c) => c.reason).join("; ") } : perSegment && decision.verdict.kind === "commit" ? { kind: "continue", reason: "the whole's winner reads worse in every segment" } : decision.verdict;
  switch (verdict.kind) {
    case "continue":
      break;
    case "hold":
      effects.push(log("warn", { target, experiment: id, reason: verdict.reason }, "experiment held"));
      break;
    case "ramp":
      next = { ...live, experiment: { ...live.experiment, canaryStep: verdict.toStep } };
      effects.push(log("info", { target, experiment: id, step: verdict.toStep, reason: verdict.reason }, "canary ramp"));
      break;
    case "promote": {
      const promoted = promote(live, verdict.reason, evidence, now, ctx);
      next = promoted.state;
      effects.push(...promoted.effects);
      break;
    }
    case "commit":
    case "rollback":
    case "inconclusive": {
      const to = verdict.kind === "commit" ? "committed" : verdict.kind === "rollback" ? "rolled_back" : "inconclusive";
      const winner = verdict.kind !== "commit" ? {} : perSegment ? { segments: commits } : { winner: verdict.arm };
      const ended = finish(live, to, verdict.reason, evidence, now, ctx, { ...winner, after: { kind: "next" } });
      next = ended.state;
      effects.push(...ended.effects);
      break;
    }
  }
  if (next.kind === "live" && verdict.kind !== "hold") {
    const moved = rebalance(next, snapshot, decision.pulls.map((p) => p.arm), now, ctx);
    next = moved.state;
    effects.push(...moved.effects);
  }
  effects.push({ kind: "checkpoint" });
  for (const pull of decision.pulls) effects.push({ kind: "count", decision: "pull", cause: pull.cause });
  if (verdict.kind !== "continue") effects.push({ kind: "count", decision: verdict.kind, cause: verdict.kind });
  return { state: next, effects };
}

/**
 * New weights for the live experiment (bandit after burn-in, canary caps, floors), applied only
 * when they move by at least `minChange`: every change opens an allocation period for the
 * stratified analysis. The draws are seeded `<experiment>/allocation:<n>`.
 */
function rebalance(state: TargetState & { kind: "live" }, snapshot: ExperimentSnapshot, pulls: readonly string[], now: number, ctx: StepContext): { state: TargetState; effects: Effect[] } {
  const policy = ctx.target.policy;
  const { experiment } = state;
  const rebalances = state.rebalances + 1;
  // Weights in force after this tick's pulls: each pull hands the arm's share to the baseline.
  let current = [...(snapshot.periods[snapshot.periods.length - 1]?.weights ?? [])];
  const pulled = new Set(snapshot.pulled);
  for (const arm of pulls) {
    const i = snapshot.arms.indexOf(arm);
    if (i <= 0 || pulled.has(arm)) continue;
    pulled.add(arm);
    current[0] = (current[0] as number) + (current[i] as number);
    current[i] = 0;
    current = realised(current);
  }
  const view: ExperimentSnapshot = { ...snapshot, status: experiment.status, pulled: snapshot.arms.filter((arm) => pulled.has(arm)) };
  const seed = ctx.rng.fork(`${experiment.id}/allocation:${rebalances}`).int(2 ** 32);
  const bandit = rememberingLast(ctx.bandit);
  const records = updateRecord(state.records, experiment.id, { lastProbabilityBest: probabilityBest(view, policy, bandit, seed) });
  const weights = allocate(view, policy, bandit, seed, experiment.canaryStep, snapshot.arms.map((arm) => state.shares.get(arm)));
  const next = { ...state, rebalances, records };
  if (totalVariation(weights, current) < policy.allocation.minChange) return { state: next, effects: [] };
  return { state: next, effects: [{ kind: "set_weights", weights, at: now }, log("info", { target: ctx.target.name, experiment: experiment.id, weights: realised(weights), engine: ctx.bandit.name }, "allocation updated")] };
}
