import { lastValueFrom, timer } from "rxjs";
import type { BanditEngine } from "../bandit/posterior.js";
import type { Clock } from "../domain/clock.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Logger } from "../domain/logger.js";
import type { Screener } from "../domain/ports.js";
import type { Problem } from "../domain/result.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import { evidenceRules } from "../evidence/rules.js";
import type { Effect } from "../lifecycle/effects.js";
import type { Input, StepContext } from "../lifecycle/inputs.js";
import { restore } from "../lifecycle/restore.js";
import type { TargetState } from "../lifecycle/state.js";
import { step } from "../lifecycle/step.js";
import { seededRng } from "../random/seeded-rng.js";
import type { RuntimeObserver } from "../runtime/ports.js";
import type { RedisStats } from "../store/redis-stats.js";
import { LiveExperiment } from "../stream/live-experiment.js";
import { structureOf, withMergedStats, type SharedCheckpoint } from "./merge.js";
import type { SharedState } from "./shared-state.js";

export interface DeciderDeps {
  readonly target: Target;
  readonly state: SharedState;
  readonly stats: RedisStats;
  readonly screen: Screener;
  readonly bandit: BanditEngine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly observer?: RuntimeObserver;
  /**
   * Fault injection for drills and tests: wait this long between making a decision and
   * committing it, the window in which a crash must not leave half a decision behind.
   */
  readonly pauseBeforeCommitMs?: number;
}

/** What one committed decision left: the state, a refusal, and the generation it wants proposed. */
export interface Decided {
  readonly state: TargetState;
  readonly refused?: Problem;
  /** A generation is due: the caller asks a screening job to propose it (never proposed inline). */
  readonly propose: number | null;
  /** The committed decision's effects (what it recorded). */
  readonly effects: readonly Effect[];
}

/** The decision to make on the state as read: an input (given a snapshot of the merged evidence), or none. */
export type DecisionOf = (state: TargetState, snapshot: () => ExperimentSnapshot | null, now: number) => Input | null;

/** How often a decision is made again after another instance's decision came first. */
const MAX_ATTEMPTS = 8;

/**
 * Makes one decision for a target in scale-out, on whichever instance bull handed the job to:
 * the same lifecycle step as embedded mode, on the state restored from the shared history and
 * allocation with every instance's merged statistics. Its effects are data: the history batches,
 * the new allocation and the status record are committed in one Lua check-and-set against the
 * revision that was read, and only then are its logs written and its decisions counted. A
 * decision made on stale state is thrown away and made again; a crash before the commit leaves
 * nothing; a retried job re-reads, so it cannot commit twice. Traffic follows through the
 * replicas, which reload the committed state.
 */
export class Decider {
  private readonly ctx: StepContext;

  constructor(private readonly deps: DeciderDeps) {
    this.ctx = { target: deps.target, rng: seededRng(deps.target.policy.seed), screen: deps.screen, bandit: deps.bandit };
  }

  async run(label: string, decision: DecisionOf): Promise<Decided> {
    const { target, state, stats, log, clock } = this.deps;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const read = await state.read(target.name);
      const stored = parseCheckpoint(read.checkpoint);
      const merged = stored ? withMergedStats(stored, await stats.read(stored.id)) : null;
      const now = clock.now();
      const restored = restore({ target, history: read.history, checkpoint: merged ? JSON.stringify(merged) : read.checkpoint, now });
      // Every decision restores: its lines are routine here, worth debug only.
      const effects: Effect[] = restored.effects.map((e) => (e.kind === "log" ? { ...e, level: "debug" as const } : e));
      let current = restored.state;
      let evidence = restored.resume ? LiveExperiment.restore(restored.resume.checkpoint, { target: target.name, arms: restored.resume.arms, ...evidenceRules(target.policy) }) : null;
      let refused: Problem | undefined;
      const take = (input: Input) => {
        const next = step(current, input, this.ctx);
        current = next.state;
        effects.push(...next.effects);
        refused ??= next.refused;
        // The decider's private copy of the evidence follows, to know the allocation it commits.
        for (const e of next.effects) evidence = follow(evidence, e, target);
      };
      if (read.kill !== null && current.kind !== "held") take({ kind: "kill", now, cause: "kill_switch", reason: read.kill });
      if (read.trips.length > 0) evidence?.addTrips(read.trips);
      const started = this.deps.observer?.now() ?? 0;
      const input = decision(current, () => (current.kind === "live" && evidence ? evidence.snapshot(now, current.experiment) : null), now);
      if (input) take(input);
      const seconds = (this.deps.observer?.now() ?? 0) - started;
      const analysed = input?.kind === "tick" && input.snapshot !== null;

      const batches = effects.flatMap((e) => (e.kind === "append" && e.entries.length > 0 ? [e.entries] : [])) as HistoryEntry[][];
      const structure = current.kind === "live" && evidence ? JSON.stringify(structureOf({ ...evidence.checkpoint(current.experiment), ticks: current.rebalances })) : null;
      const allocationChanged = structure !== read.checkpoint;
      const last = current.records[current.records.length - 1];
      // A tick always leaves its analysis for the status views; other decisions only with news.
      const record = label === "tick" || batches.length > 0 || allocationChanged ? last : undefined;
      const propose = effects.reduce<number | null>((due, e) => (e.kind === "propose" ? e.generation : due), null);
      if (batches.length === 0 && !allocationChanged && !record && read.trips.length === 0) {
        this.replay(effects, analysed ? seconds : null);
        return { state: current, ...(refused ? { refused } : {}), propose, effects };
      }
      const pause = this.deps.pauseBeforeCommitMs ?? 0;
      if (pause > 0) {
        log.warn({ target: target.name, decision: label, revision: read.revision, entries: batches.flat().map((e) => e.kind), pauseMs: pause }, "decision made; pausing before commit (fault injection)");
        await lastValueFrom(timer(pause));
      }
      const committed = await state.commit(target.name, read.revision, {
        batches,
        ...(allocationChanged ? { checkpoint: structure } : {}),
        ...(record ? { record: JSON.stringify(record) } : {}),
        tripsConsumed: read.trips.length,
      });
      if (committed) {
        this.replay(effects, analysed ? seconds : null);
        if (stored && stored.id !== (current.kind === "live" ? current.experiment.id : null)) await stats.retire(stored.id);
        return { state: current, ...(refused ? { refused } : {}), propose, effects };
      }
      log.info({ target: target.name, decision: label, revision: read.revision, attempt }, "another instance decided first; deciding again on the new state");
    }
    throw new Error(`${label} of "${target.name}": the shared state kept changing under ${MAX_ATTEMPTS} attempts`);
  }

  /** A committed decision's logs and counts (a decision thrown away for a newer state has none). */
  private replay(effects: readonly Effect[], analysisSeconds: number | null): void {
    const { log, observer, target } = this.deps;
    for (const e of effects) {
      if (e.kind === "log") log[e.level](e.fields, e.message);
      else if (e.kind === "count") observer?.decision(target.name, e.decision, e.cause);
    }
    if (analysisSeconds !== null) observer?.analysis(target.name, analysisSeconds);
  }
}

/** The decider's copy of the evidence after one effect (it serves nothing: the replicas do). */
function follow(evidence: LiveExperiment | null, effect: Effect, target: Target): LiveExperiment | null {
  switch (effect.kind) {
    case "start_experiment": {
      const { plan } = effect;
      return new LiveExperiment({ id: plan.id, target: target.name, generation: plan.generation, arms: plan.arms, weights: plan.weights, now: plan.now, ...evidenceRules(target.policy) });
    }
    case "end_experiment":
      return null;
    case "pull":
      evidence?.pull(effect.arm, effect.at);
      return evidence;
    case "set_weights":
      evidence?.setWeights(effect.weights, effect.at);
      return evidence;
    default:
      return evidence;
  }
}

function parseCheckpoint(text: string | null): SharedCheckpoint | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as SharedCheckpoint;
  } catch {
    return null; // restore() reports the same text as unusable and closes the experiment
  }
}
