import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { Version } from "../domain/version.js";
import type { EvaluationContext } from "../targeting/audience.js";
import { admits } from "./audience.js";
import type { LiveExperiment } from "./live-experiment.js";

/** What a unit is served: a version, and whether it came from an experiment arm. */
export interface Served {
  readonly target: string;
  readonly version: Version;
  /** The live experiment the unit takes part in (null: none, or the unit is outside its audience). */
  readonly experiment: string | null;
  /**
   * OpenFeature's reasons: SPLIT for a candidate arm, STATIC for the baseline (no experiment
   * live, or the unit's arm is the baseline), DEFAULT for the baseline of a unit outside the
   * experiment's audience.
   */
  readonly reason: "SPLIT" | "STATIC" | "DEFAULT";
  /** With an audience: whether the unit is in it. */
  readonly audience?: "inside" | "outside";
}

const NO_CONTEXT: EvaluationContext = {};

/**
 * Who serves what right now: the baseline and the live experiment of every target. Evaluation
 * reads it; the optimizer swaps experiments in and out. Reading through the router (never a
 * captured experiment) is what makes a kill or a new allocation apply to the very next unit.
 */
export class ExperimentRouter {
  private readonly baselines = new Map<string, Version>();
  private readonly experiments = new Map<string, LiveExperiment>();

  setBaseline(target: string, version: Version): void {
    this.baselines.set(target, version);
  }
  setExperiment(target: string, experiment: LiveExperiment | null): void {
    if (experiment) this.experiments.set(target, experiment);
    else this.experiments.delete(target);
  }
  removeTarget(target: string): void {
    this.baselines.delete(target);
    this.experiments.delete(target);
  }
  baseline(target: string): Version | undefined {
    return this.baselines.get(target);
  }
  /** The live experiment of a target, if any (the runtime puts only live ones here). */
  experiment(target: string): LiveExperiment | undefined {
    return this.experiments.get(target);
  }
  targets(): string[] {
    return [...this.baselines.keys()].sort();
  }

  /**
   * The version `unit` gets for `target`, given its evaluation context (its attributes) at `now`.
   * Never throws; an unknown target is a Problem. The assignment hashes the unit alone, so
   * attributes that the audience does not read never move a unit between arms.
   */
  evaluate(target: string, unit: string, context: EvaluationContext = NO_CONTEXT, now = 0): Result<Served, Problem> {
    const baseline = this.baselines.get(target);
    if (!baseline) return err(problem("unknown_target", `no target named ${JSON.stringify(target)}`));
    const experiment = this.experiment(target);
    if (!experiment) return ok({ target, version: baseline, experiment: null, reason: "STATIC" });
    if (!admits(experiment, context, now)) return ok({ target, version: baseline, experiment: null, reason: "DEFAULT", audience: "outside" });
    const version = experiment.assign(unit);
    return ok({ target, version, experiment: experiment.id, reason: version.id === baseline.id ? "STATIC" : "SPLIT", ...(experiment.audience !== null ? { audience: "inside" as const } : {}) });
  }
}
