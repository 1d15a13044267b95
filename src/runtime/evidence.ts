import { interval, type SchedulerLike, type Subscription } from "rxjs";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import { EarlierValues } from "../evidence/earlier-values.js";
import { evidenceRules } from "../evidence/rules.js";
import type { Effect } from "../lifecycle/effects.js";
import type { RuntimeCheckpoint } from "../lifecycle/restore.js";
import { statusOf, type LiveState, type TargetState } from "../lifecycle/state.js";
import { LiveExperiment } from "../stream/live-experiment.js";
import type { ExperimentRouter } from "../stream/router.js";
import type { DurableWrites } from "./durable-writes.js";
import type { ExperimentView } from "./ports.js";

/**
 * The served journal is appended to every JOURNAL_MS, at most JOURNAL_MAX units at a time:
 * encoding units blocks the event loop, and small drains keep each pause to a few milliseconds
 * (40,000 new units a second at most; beyond, the backlog waits). A crash loses at most what is
 * still waiting.
 */
const JOURNAL_MS = 50;
const JOURNAL_MAX = 2_000;

/**
 * The evidence side of a runtime: the live experiment on the transaction path and what traffic
 * sees of it. Serving effects land here; those that depend on history reach the router only
 * once DurableWrites has made what came before them durable.
 */
export class Evidence {
  private current: LiveExperiment | null = null;
  /** Rows the last experiment ended with: the next one's unit index starts that large. */
  private lastRows = 0;
  /**
   * The primary metric's values of the units of ended experiments, the CUPED covariates of the
   * next, kept by the store (covariates.bin) so a restart resumes the experiment under way with
   * them; without them (a store that keeps none, a file that does not read back) it goes on
   * unadjusted.
   */
  private earlier = EarlierValues.EMPTY;

  constructor(
    private readonly deps: {
      readonly target: Target;
      readonly router: ExperimentRouter;
      readonly writes: DurableWrites;
      readonly journaling: boolean;
    },
  ) {}

  /** Takes the CUPED values the store kept (none when it has none, or they do not read back). */
  loadEarlier(data: Uint8Array | null): void {
    this.earlier = (data && EarlierValues.decode(data)) ?? EarlierValues.EMPTY;
  }

  /** Picks up the experiment a checkpoint describes (its history is durable: served at once, unless paused). */
  async resume(checkpoint: RuntimeCheckpoint, arms: readonly Version[], journal: string, aliases: readonly VersionId[] = []): Promise<void> {
    const { target } = this.deps;
    const experiment = LiveExperiment.restore(checkpoint, { target: target.name, arms, ...evidenceRules(target.policy), ...this.covariates(), aliases });
    experiment.served.replay(journal);
    experiment.rebuildTotals();
    this.install(experiment);
    if (!checkpoint.paused?.length) this.deps.router.setExperiment(target.name, experiment);
  }

  apply(effect: Effect): void {
    const { target, router, writes } = this.deps;
    switch (effect.kind) {
      case "serve_baseline": {
        const { version, segments } = effect;
        const serving = segments && segments.size > 0 ? { rules: target.policy.segments, versions: segments } : undefined;
        writes.append([], () => router.setBaseline(target.name, version, serving));
        return;
      }
      case "start_experiment": {
        const { plan } = effect;
        const experiment = new LiveExperiment({ id: plan.id, target: target.name, generation: plan.generation, arms: plan.arms, weights: plan.weights, now: plan.now, expectedRows: this.lastRows, ...evidenceRules(target.policy), ...this.covariates(), ...(plan.aliases ? { aliases: plan.aliases } : {}) });
        this.install(experiment);
        // The candidates are served once the batch that records them is durable.
        writes.append([], () => {
          if (this.current === experiment) router.setExperiment(target.name, experiment);
        });
        return;
      }
      case "end_experiment": {
        // Ending serves the baseline at once: it is durable.
        router.setExperiment(target.name, null);
        const { cuped } = target.policy;
        if (this.current && cuped.enabled && cuped.maxUnits > 0) {
          this.earlier = this.current.earlierValues(this.earlier, cuped.maxUnits);
          writes.covariates(this.earlier.encode());
        }
        // Its units are released with it.
        this.lastRows = this.current?.served.size ?? this.lastRows;
        this.current = null;
        return;
      }
      case "pause_experiment":
        // Every unit gets the baseline and nothing is counted; the evidence stays here.
        router.setExperiment(target.name, null);
        return;
      case "unpause_experiment": {
        const experiment = this.current;
        writes.append([], () => {
          if (experiment && this.current === experiment && experiment.id === effect.id) router.setExperiment(target.name, experiment);
        });
        return;
      }
      case "pull":
        this.current?.pull(effect.arm, effect.at);
        return;
      case "set_weights":
        this.current?.setWeights(effect.weights, effect.at);
        return;
      default:
        return;
    }
  }

  private covariates(): { covariates?: EarlierValues } {
    return this.deps.target.policy.cuped.enabled && this.earlier.size > 0 ? { covariates: this.earlier } : {};
  }

  private install(experiment: LiveExperiment): void {
    if (this.deps.journaling) experiment.served.startJournal();
    this.current = experiment;
  }

  snapshot(now: number, live: LiveState): ExperimentSnapshot | null {
    return this.current?.id === live.id ? this.current.snapshot(now, live) : null;
  }

  view(live: LiveState): ExperimentView | null {
    const experiment = this.current;
    if (!experiment || experiment.id !== live.id) return null;
    return {
      id: experiment.id,
      generation: experiment.generation,
      status: statusOf(live),
      paused: live.paused,
      canaryStep: live.canaryStep,
      arms: experiment.arms,
      weights: experiment.weights,
      isPulled: (arm) => experiment.isPulled(arm),
      indexOf: (arm) => experiment.indexOf(arm),
      statistics: () => experiment.statistics(),
      unitsNow: () => experiment.unitsPerArm(),
      ...(this.deps.journaling ? { journalBacklog: () => experiment.served.undrained } : {}),
    };
  }

  /** The checkpoint of the live experiment with the allocation count, as JSON; null when none is live. */
  checkpointText(state: TargetState): string | null {
    if (state.kind !== "live" || this.current?.id !== state.experiment.id) return null;
    return JSON.stringify({ ...this.current.checkpoint(state.experiment), ticks: state.rebalances });
  }

  /** Queued behind the history writes, so a checkpoint never runs ahead of its history. */
  checkpoint(state: TargetState): void {
    this.deps.writes.checkpoint(this.checkpointText(state));
  }

  /** The served journal's next lines, queued for the store (at most `max` units). */
  flushJournal(max = JOURNAL_MAX): void {
    if (this.deps.journaling && this.current) this.deps.writes.served(this.current.id, this.current.served.drainJournal(max));
  }

  journalEvery(scheduler: SchedulerLike): Subscription {
    return interval(JOURNAL_MS, scheduler).subscribe(() => this.flushJournal());
  }
}
