import { Allocation, type AllocationRecord } from "../assign/allocation.js";
import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { AllocationPeriod, BreakerTrip, ExperimentSnapshot, SegmentStatistics, StatsDelta } from "../domain/snapshot.js";
import type { Version, VersionId } from "../domain/version.js";
import { ArmQuantiles } from "../evidence/arm-quantiles.js";
import { ArmStats } from "../evidence/arm-stats.js";
import { ArmBreakers, type BreakerRule } from "../evidence/breakers.js";
import { StatsJournal } from "../evidence/journal.js";
import type { KpiRules } from "../evidence/kpi-rules.js";
import { EarlierValues } from "../evidence/earlier-values.js";
import { ServedUnits } from "../evidence/served-units.js";
import { KEY } from "../evidence/unit-key.js";
import { SegmentStats } from "../evidence/segment-stats.js";
import { UnitTotals } from "../evidence/unit-totals.js";
import type { MetricPlan, UnitMetric } from "../evidence/unit-metrics.js";
import { UnitRecorder } from "../evidence/unit-recorder.js";
import type { AudienceRule, SegmentRule } from "../domain/target.js";
import type { EvaluationContext } from "../targeting/audience.js";
import type { ExperimentCheckpoint, ExperimentSpec, LifecycleView } from "./experiment-spec.js";

export type { ExperimentCheckpoint, ExperimentSpec, LifecycleView } from "./experiment-spec.js";

/**
 * One live experiment on the transaction path, made of small parts: its allocation (who gets
 * which arm), arm statistics by period, circuit breakers, who was served what, and in
 * scale-out the journal of what to merge. It holds evidence only: whether the experiment is in
 * canary or running is the lifecycle's (lifecycle/state.ts), passed in where it is needed.
 * Methods on the hot path never throw; a refused event comes back as a Problem.
 */
export class LiveExperiment {
  readonly id: string;
  readonly target: string;
  readonly generation: number;
  readonly arms: readonly Version[];
  /** The KPIs this experiment accumulates (the policy's); outcomes' other KPIs are ignored. */
  readonly kpis: KpiRules;
  readonly metrics: MetricPlan;
  /** Who takes part (null: every unit): stream/audience.ts admits units by it. */
  readonly audience: AudienceRule | null;
  readonly served: ServedUnits;
  private readonly allocation: Allocation;
  private readonly stats: ArmStats;
  private breakers: ArmBreakers;
  private journal: StatsJournal | null = null;
  private covariates: EarlierValues;
  private readonly quantiles: ArmQuantiles;
  /** Unit totals of the percentile-capped sums (null without any). */
  private readonly totals: UnitTotals | null;
  /** The statistics by segment (null without segments). */
  private readonly segments: SegmentStats | null;
  private readonly recorder: UnitRecorder;
  /** Versions that name the baseline arm too (segments' own baselines), never an arm's own id. */
  private readonly aliases: ReadonlySet<VersionId>;

  constructor(spec: ExperimentSpec) {
    ({ id: this.id, target: this.target, generation: this.generation, arms: this.arms, kpis: this.kpis, metrics: this.metrics } = spec);
    this.audience = spec.audience ?? null;
    this.aliases = new Set((spec.aliases ?? []).filter((id) => !spec.arms.some((v) => v.id === id)));
    this.served = new ServedUnits(spec.metrics.raw.length, spec.expectedRows ?? 0);
    this.allocation = new Allocation(spec.id, spec.arms.map((v) => v.id), spec.weights);
    this.stats = new ArmStats(spec.arms.length);
    this.totals = spec.metrics.percentileCapped.length > 0 ? new UnitTotals() : null;
    // A percentile-capped primary is capped at snapshot time, its covariate sums could not be.
    this.covariates = spec.metrics.percentileCapped.includes(0) ? EarlierValues.EMPTY : (spec.covariates ?? EarlierValues.EMPTY);
    this.quantiles = new ArmQuantiles(spec.arms.length, spec.metrics);
    this.breakers = new ArmBreakers(spec.arms.length, spec.breakers ?? []);
    this.segments = spec.segments?.length ? new SegmentStats(spec.segments, spec.arms.length) : null;
    this.recorder = new UnitRecorder(spec.metrics, this.served, this.stats, this.segments, this.totals, this.quantiles);
    this.openPeriod(spec.now);
  }

  /** A new allocation period, for the experiment's statistics and every segment's. */
  private openPeriod(now: number): void {
    this.stats.openPeriod(this.allocation.revision, now, this.allocation.weights);
    this.segments?.openPeriod(this.allocation.revision, now, this.allocation.weights);
  }

  get baseline(): Version {
    return this.arms[0] as Version;
  }
  /** Current weight of every arm. */
  get weights(): readonly number[] {
    return this.stats.weights;
  }
  isPulled(arm: VersionId): boolean {
    const index = this.allocation.indexOf(arm);
    return index !== undefined && this.allocation.isPulled(index);
  }
  /** The arm a version id names: an arm's own, or 0 for a segment's own baseline (an alias). */
  indexOf(arm: VersionId): number | undefined {
    return this.allocation.indexOf(arm) ?? (this.aliases.has(arm) ? 0 : undefined);
  }

  /** The arm a unit gets now: versioned hash → bucket → arm. */
  assign(unit: string): Version {
    return this.arms[this.allocation.assign(unit)] as Version;
  }

  /**
   * Records that `unit` was served `arm` (its assigned arm when absent); with segments, a unit
   * exposed for the first time is kept in the segment its `attributes` match at `ts`.
   */
  recordExposure(unit: string, arm: VersionId | undefined, attributes?: EvaluationContext, ts = 0): Result<number, Problem> {
    const index = arm === undefined ? this.allocation.assign(unit) : this.indexOf(arm);
    if (index === undefined) return err(problem("arm_not_in_experiment", `arm ${arm} is not an arm of ${this.id}`));
    const revision = this.allocation.revision;
    const segments = this.segments;
    const { served, created, segment } = this.served.record(unit, index, revision, segments ? segments.indexOf(attributes ?? {}, ts, this.target) : -1);
    if (served !== "again") {
      this.stats.countUnit(index, served === "new_unit");
      segments?.of(segment).countUnit(index, served === "new_unit");
    }
    if (created >= 0) this.recorder.rowBegan(created, this.covariates.size > 0 ? this.covariates.valueOf(KEY[0] as number) : NaN);
    this.journal?.addExposure(revision, index, unit, segments ? segment : -1);
    return ok(index);
  }

  /**
   * Adds an outcome to the row of its unit in the arm it was served: the event's own `arm` when
   * it names one, else the arm of the unit's latest exposure. The unit's aggregates move, and
   * each metric they feed moves by the change of the unit's contribution (evidence/arm-stats.ts).
   */
  recordOutcome(unit: string, arm: VersionId | undefined, metrics: Readonly<Record<string, number>>, ts = 0): Result<number, Problem> {
    const index = arm !== undefined ? this.indexOf(arm) : this.served.latestArm(unit);
    if (index === undefined) return err(arm !== undefined ? problem("arm_not_in_experiment", `arm ${arm} is not an arm of ${this.id}`) : problem("unit_not_exposed", `unit was never served in ${this.id}`));
    const { row, began } = this.served.armRow(unit, index, this.allocation.revision);
    // The unit's covariate (NaN for none), read while KEY still holds its key.
    const x = this.covariates.size > 0 ? this.covariates.valueOf(KEY[0] as number) : NaN;
    const group = KEY[1] as number;
    if (began) this.recorder.rowBegan(row, x);
    this.recorder.outcome(unit, row, index, metrics, x, group);
    // A tripped breaker pulls the arm in this very call: its units get the baseline from now on.
    if (!this.allocation.isPulled(index) && this.breakers.observe(index, (this.arms[index] as Version).id, metrics, ts)) this.pullIndex(index, ts);
    return ok(index);
  }

  /** The periods' statistics with every percentile-capped sum capped at this moment's cap. */
  private cappedPeriods(): AllocationPeriod[] {
    const periods = this.stats.snapshot();
    return this.totals ? this.totals.capPeriods(periods, this.metrics) : periods;
  }

  /** Rebuilds the unit totals from the rows (after a served journal replay at restore). */
  rebuildTotals(): void {
    this.totals?.rebuild(this.served, this.metrics);
  }

  /** The earlier values this experiment leaves for the next (its units' primary metric), as `after` adds them to `previous`. */
  earlierValues(previous: EarlierValues, max: number): EarlierValues {
    const fresh = this.served.sortedUnitValues(this.metrics.metrics[0] as UnitMetric, Math.min(max, EarlierValues.MAX_UNITS));
    return EarlierValues.afterSorted(this.id, fresh, previous, max);
  }

  /** Moves to new weights with the fewest units changing arm; opens a new allocation period. */
  setWeights(weights: readonly number[], now: number): void {
    this.allocation.reallocate(weights);
    this.openPeriod(now);
  }

  /** Takes an arm out of traffic: its share goes back to the baseline, other arms keep theirs. */
  pull(arm: VersionId, now: number): void {
    const index = this.allocation.indexOf(arm);
    if (index !== undefined) this.pullIndex(index, now);
  }

  private pullIndex(index: number, now: number): void {
    if (this.allocation.pull(index, this.stats.weights)) this.openPeriod(now);
  }

  /** Starts keeping deltas for drainDeltas() (scale-out: each instance flushes them to Redis). */
  startJournal(): void {
    this.journal ??= new StatsJournal();
    this.recorder.journal = this.journal;
  }

  /** Everything added since the last drain. */
  drainDeltas(): StatsDelta {
    return this.journal ? this.journal.drain() : { units: [], exposures: [] };
  }

  /** Breaker trips since the last drain (a replica ships them to the instance that decides). */
  drainTrips(): BreakerTrip[] {
    return this.breakers.drain();
  }

  /** Trips other instances saw; the next snapshot reports them (and the tick pulls the arms). */
  addTrips(trips: readonly BreakerTrip[]): void {
    this.breakers.add(trips, (arm) => this.allocation.indexOf(arm) !== undefined && !this.isPulled(arm));
  }

  /**
   * Takes over from the previous replica of the same experiment when the allocation was
   * reloaded: who was served what, the breakers' windows, and arms this instance's breakers
   * pulled that the shared state has not heard of yet (arms never come back, so this cannot undo
   * a decision).
   */
  adopt(previous: LiveExperiment): void {
    if (previous.id !== this.id || previous.arms.length !== this.arms.length) return;
    this.served.adopt(previous.served);
    this.breakers.adopt(previous.breakers);
    const now = this.stats.periodStart;
    for (const index of previous.allocation.pulled()) this.pullIndex(index, now);
  }

  /** The allocation as SDKs evaluate it locally (the bucket table, base64, and the pulled arms). */
  allocationRecord(): AllocationRecord {
    return this.allocation.record();
  }
  /** Moves with every reallocation and pull: what SDKs sync changed. */
  get allocationRevision(): number {
    return this.allocation.revision;
  }
  /** Versions that name the baseline arm besides its own (segments' own baselines). */
  get baselineAliases(): readonly VersionId[] {
    return [...this.aliases];
  }

  /** Whether its statistics are broken down by segment (exposures then carry the unit's attributes). */
  get segmented(): boolean {
    return this.segments !== null;
  }

  /** Distinct units per arm, as of now. */
  unitsPerArm(): number[] {
    return this.stats.unitsPerArm();
  }

  /** Distinct units per arm and per-period statistics, copied (trips are left for the tick). */
  statistics(): { units: number[]; periods: AllocationPeriod[]; segments?: SegmentStatistics[] } {
    return { units: this.stats.unitsPerArm(), periods: this.cappedPeriods(), ...(this.segments ? { segments: this.segments.snapshot() } : {}) };
  }

  /** Plain-data copy for the analysis tick; trips reported once. */
  snapshot(now: number, lifecycle: LifecycleView): ExperimentSnapshot {
    return {
      experiment: this.id,
      target: this.target,
      generation: this.generation,
      status: lifecycle.status,
      at: now,
      arms: this.arms.map((v) => v.id),
      pulled: this.allocation.pulled().map((i) => (this.arms[i] as Version).id),
      canaryStep: lifecycle.canaryStep,
      units: this.stats.unitsPerArm(),
      periods: this.cappedPeriods(),
      trips: this.breakers.drain(),
      ...(this.quantiles.any ? { quantiles: this.quantiles.readings() } : {}),
      ...(this.segments ? { segments: this.segments.snapshot() } : {}),
    };
  }

  /** Everything needed to resume after a restart but who was served what (the served journal). */
  checkpoint(lifecycle: LifecycleView): ExperimentCheckpoint {
    return {
      format: 3,
      id: this.id,
      generation: this.generation,
      arms: this.arms.map((v) => v.id),
      status: lifecycle.status,
      canaryStep: lifecycle.canaryStep,
      ...(lifecycle.paused?.length ? { paused: lifecycle.paused } : {}),
      ...this.allocation.record(),
      unitsPerArm: this.stats.unitsPerArm(),
      periods: this.stats.snapshot(),
      ...(this.covariates.size > 0 ? { covariates: this.covariates.source } : {}),
      ...(this.quantiles.any ? { quantiles: this.quantiles.encode() } : {}),
      ...(this.segments ? { segments: this.segments.snapshot() } : {}),
    };
  }

  /** Rebuilds an experiment from its checkpoint; `arms` are the versions named in it, in order. */
  static restore(
    checkpoint: ExperimentCheckpoint,
    input: { target: string; arms: readonly Version[]; kpis: KpiRules; metrics: MetricPlan; breakers?: readonly BreakerRule[]; audience?: AudienceRule | null; segments?: readonly SegmentRule[]; covariates?: EarlierValues; aliases?: readonly VersionId[] },
  ): LiveExperiment {
    const first = checkpoint.periods[0];
    const { target, arms, kpis, metrics, breakers, audience, segments, aliases } = input;
    const weights = first?.weights ?? arms.map(() => 1);
    const experiment = new LiveExperiment({ id: checkpoint.id, target, generation: checkpoint.generation, arms, weights, now: first?.from ?? 0, kpis, metrics, audience: audience ?? null, ...(segments ? { segments } : {}), ...(breakers ? { breakers } : {}), ...(aliases ? { aliases } : {}) });
    experiment.allocation.restore(checkpoint);
    experiment.stats.restore(checkpoint.periods, checkpoint.unitsPerArm);
    experiment.segments?.restore(checkpoint.segments, checkpoint.periods);
    experiment.quantiles.restore(checkpoint.quantiles);
    // Covariate sums are only consistent with the values they were built with: without those
    // (a restart lost them, another experiment ended since), the experiment goes on unadjusted.
    if (input.covariates && checkpoint.covariates !== undefined && checkpoint.covariates === input.covariates.source) experiment.covariates = input.covariates;
    else experiment.stats.dropReturning();
    // Format 1 carried every unit inline; later formats leave them to the served journal.
    if (checkpoint.served) experiment.served.load(checkpoint.served);
    return experiment;
  }
}
