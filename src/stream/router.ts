import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { SegmentRule } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { EvaluationContext } from "../targeting/audience.js";
import { segmentOf } from "../targeting/segments.js";
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
  /**
   * The experiment arm the unit is in (the version id exposures and outcomes name): `version`'s
   * id, except for a unit of a segment with its own baseline in the baseline arm, which is served
   * its segment's baseline and counted in the experiment's baseline arm. Absent outside an experiment.
   */
  readonly arm?: VersionId;
}

/** Per-segment baselines of a target: the segments' rules and the versions of those that serve their own. */
export interface SegmentServing {
  readonly rules: readonly SegmentRule[];
  readonly versions: ReadonlyMap<string, Version>;
}

const NO_CONTEXT: EvaluationContext = {};

/**
 * Who serves what right now: the baseline and the live experiment of every target. Evaluation
 * reads it; the optimizer swaps experiments in and out. Reading through the router (never a
 * captured experiment) is what makes a kill or a new allocation apply to the very next unit.
 */
export class ExperimentRouter {
  private readonly baselines = new Map<string, Version>();
  private readonly segmentBaselines = new Map<string, SegmentServing>();
  private readonly experiments = new Map<string, LiveExperiment>();

  /** The target's baseline, and the segments that serve their own (none: every unit gets `version`). */
  setBaseline(target: string, version: Version, segments?: SegmentServing): void {
    this.baselines.set(target, version);
    if (segments && segments.versions.size > 0) this.segmentBaselines.set(target, segments);
    else this.segmentBaselines.delete(target);
  }
  setExperiment(target: string, experiment: LiveExperiment | null): void {
    if (experiment) this.experiments.set(target, experiment);
    else this.experiments.delete(target);
  }
  removeTarget(target: string): void {
    this.baselines.delete(target);
    this.segmentBaselines.delete(target);
    this.experiments.delete(target);
  }
  baseline(target: string): Version | undefined {
    return this.baselines.get(target);
  }
  /** The segments' rules and own baselines of a target (undefined when every unit gets its baseline). */
  segmentServing(target: string): SegmentServing | undefined {
    return this.segmentBaselines.get(target);
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
    const main = this.baselines.get(target);
    if (!main) return err(problem("unknown_target", `no target named ${JSON.stringify(target)}`));
    const segments = this.segmentBaselines.get(target);
    // The unit's segment is read from the context it comes with now (first match, as segments count it).
    const baseline = segments ? (segments.versions.get(segmentOf(segments.rules, context, { now, target })) ?? main) : main;
    const experiment = this.experiment(target);
    if (!experiment) return ok({ target, version: baseline, experiment: null, reason: "STATIC" });
    if (!admits(experiment, context, now)) return ok({ target, version: baseline, experiment: null, reason: "DEFAULT", audience: "outside" });
    const assigned = experiment.assign(unit);
    if (assigned === experiment.baseline) return ok({ target, version: baseline, experiment: experiment.id, reason: "STATIC", arm: assigned.id, ...(experiment.audience !== null ? { audience: "inside" as const } : {}) });
    return ok({ target, version: assigned, experiment: experiment.id, reason: "SPLIT", arm: assigned.id, ...(experiment.audience !== null ? { audience: "inside" as const } : {}) });
  }
}
