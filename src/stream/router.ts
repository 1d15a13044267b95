import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { Version } from "../domain/version.js";
import type { LiveExperiment } from "./live-experiment.js";

/** What a unit is served: a version, and whether it came from an experiment arm. */
export interface Served {
  readonly target: string;
  readonly version: Version;
  readonly experiment: string | null;
  /** OpenFeature's reasons: SPLIT for an experiment arm, STATIC for the baseline. */
  readonly reason: "SPLIT" | "STATIC";
}

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

  /** The version `unit` gets for `target`. Never throws; an unknown target is a Problem. */
  evaluate(target: string, unit: string): Result<Served, Problem> {
    const baseline = this.baselines.get(target);
    if (!baseline) return err(problem("unknown_target", `no target named ${JSON.stringify(target)}`));
    const experiment = this.experiment(target);
    if (!experiment) return ok({ target, version: baseline, experiment: null, reason: "STATIC" });
    const version = experiment.assign(unit);
    return ok({ target, version, experiment: experiment.id, reason: version.id === baseline.id ? "STATIC" : "SPLIT" });
  }
}
