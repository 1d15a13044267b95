import { armAt, createTable, reallocate, tableWeights, type BucketTable } from "../assign/bucket-table.js";
import { bucketOf } from "../assign/hash.js";
import type { ExperimentStatus } from "../domain/experiment.js";
import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { AllocationPeriod, BreakerTrip, ExperimentSnapshot, Moments } from "../domain/snapshot.js";
import type { Version, VersionId } from "../domain/version.js";
import { SlidingBreaker, type BreakerRule } from "./circuit-breaker.js";
import type { KpiRules } from "./kpi-rules.js";
import { ServedUnits } from "./served-units.js";

/** Arms per experiment: the served-arm bit mask below holds at most this many. */
export const MAX_ARMS = 16;

interface Accumulator {
  n: number;
  sum: number;
  sumSquares: number;
}

/**
 * What an instance added since its last drain, for merging across instances: KPI sums per
 * (period revision, arm, KPI) and every exposure (distinct units are counted where they merge).
 */
export interface StatsDelta {
  readonly kpis: readonly { readonly revision: number; readonly arm: number; readonly kpi: string; readonly n: number; readonly sum: number; readonly sumSquares: number }[];
  readonly exposures: readonly { readonly revision: number; readonly arm: number; readonly unit: string }[];
}

/** A live experiment's state as JSON (see LiveExperiment.checkpoint). */
export interface ExperimentCheckpoint {
  /** 2: who was served what is in the served journal; 1 (still read) carried it inline. */
  readonly format: 1 | 2;
  readonly id: string;
  readonly generation: number;
  readonly arms: readonly VersionId[];
  readonly status: ExperimentStatus;
  readonly canaryStep: number;
  readonly pulled: readonly number[];
  readonly table: { readonly hashVersion: string; readonly revision: number; readonly buckets: string };
  readonly unitsPerArm: readonly number[];
  readonly periods: readonly AllocationPeriod[];
  readonly served?: readonly (readonly [string, number])[];
}

interface PeriodState {
  readonly revision: number;
  readonly from: number;
  readonly weights: number[];
  readonly newUnits: number[];
  readonly kpis: Map<string, Accumulator>[];
}

/**
 * The state of one live experiment on the transaction path: its bucket table, who was served
 * what, and per-period, per-arm sufficient statistics. Methods on the hot path never throw;
 * a refused event comes back as a Problem.
 */
export class LiveExperiment {
  readonly id: string;
  readonly target: string;
  readonly generation: number;
  readonly arms: readonly Version[];
  /** The KPIs this experiment accumulates (the policy's); outcomes' other KPIs are ignored. */
  readonly kpis: KpiRules;
  private readonly armIndex: Map<VersionId, number>;
  private table: BucketTable;
  private statusValue: ExperimentStatus;
  private canaryStepValue = 0;
  private readonly pulledArms = new Set<number>();
  /** Who was served what (journaled for restarts by the daemon). */
  readonly served = new ServedUnits();
  private readonly unitsPerArm: number[];
  private readonly periods: PeriodState[] = [];
  /** Deltas since the last drain, kept only when journaling (scale-out); null otherwise. */
  private journal: { kpis: Map<string, Accumulator & { revision: number; arm: number; kpi: string }>; exposures: { revision: number; arm: number; unit: string }[] } | null = null;
  /** Per arm, the circuit breakers of the guardrails with a hard limit. */
  private breakers: SlidingBreaker[][];
  private trips: BreakerTrip[] = [];

  constructor(input: {
    id: string;
    target: string;
    generation: number;
    arms: readonly Version[];
    weights: readonly number[];
    status: ExperimentStatus;
    now: number;
    kpis: KpiRules;
    breakers?: readonly BreakerRule[];
  }) {
    if (input.arms.length < 2 || input.arms.length > MAX_ARMS) throw new RangeError(`an experiment needs 2 to ${MAX_ARMS} arms`);
    this.id = input.id;
    this.target = input.target;
    this.generation = input.generation;
    this.arms = input.arms;
    this.kpis = input.kpis;
    this.armIndex = new Map(input.arms.map((v, i) => [v.id, i]));
    this.table = createTable(input.arms.map((v) => v.id), input.weights);
    this.statusValue = input.status;
    this.unitsPerArm = input.arms.map(() => 0);
    // The baseline has no breaker: it is what traffic falls back to.
    this.breakers = input.arms.map((_, i) => (i === 0 ? [] : (input.breakers ?? []).map((rule) => new SlidingBreaker(rule))));
    this.openPeriod(input.now);
  }

  get status(): ExperimentStatus {
    return this.statusValue;
  }
  get canaryStep(): number {
    return this.canaryStepValue;
  }
  get baseline(): Version {
    return this.arms[0] as Version;
  }
  get live(): boolean {
    return this.statusValue === "canary" || this.statusValue === "running";
  }
  /** Current weight of every arm. */
  get weights(): readonly number[] {
    return (this.periods[this.periods.length - 1] as PeriodState).weights;
  }
  isPulled(arm: VersionId): boolean {
    const index = this.armIndex.get(arm);
    return index !== undefined && this.pulledArms.has(index);
  }
  indexOf(arm: VersionId): number | undefined {
    return this.armIndex.get(arm);
  }

  /** The arm a unit gets now: versioned hash → bucket → arm. Baseline when not live. */
  assign(unit: string): Version {
    if (!this.live) return this.baseline;
    const arm = armAt(this.table, bucketOf(unit, this.id));
    return this.arms[this.armIndex.get(arm) as number] as Version;
  }

  /** Records that `unit` was served `arm` (its assigned arm when absent). */
  recordExposure(unit: string, arm: VersionId | undefined): Result<number, Problem> {
    const index = arm === undefined ? (this.armIndex.get(this.assign(unit).id) as number) : this.armIndex.get(arm);
    if (index === undefined) return err(problem("arm_not_in_experiment", `arm ${arm} is not an arm of ${this.id}`));
    const served = this.served.record(unit, index);
    if (served === "new_unit") {
      const period = this.periods[this.periods.length - 1] as PeriodState;
      period.newUnits[index] = (period.newUnits[index] as number) + 1;
    }
    if (served !== "again") this.unitsPerArm[index] = (this.unitsPerArm[index] as number) + 1;
    this.journal?.exposures.push({ revision: this.table.revision, arm: index, unit });
    return ok(index);
  }

  /**
   * Adds an outcome to the statistics of the arm the unit was served: the event's own `arm`
   * when it names one, else the arm of the unit's latest exposure.
   */
  recordOutcome(unit: string, arm: VersionId | undefined, metrics: Readonly<Record<string, number>>, ts = 0): Result<number, Problem> {
    let index: number | undefined;
    if (arm !== undefined) {
      index = this.armIndex.get(arm);
      if (index === undefined) return err(problem("arm_not_in_experiment", `arm ${arm} is not an arm of ${this.id}`));
    } else {
      index = this.served.latestArm(unit);
      if (index === undefined) return err(problem("unit_not_exposed", `unit was never served in ${this.id}`));
    }
    const period = this.periods[this.periods.length - 1] as PeriodState;
    const kpis = period.kpis[index] as Map<string, Accumulator>;
    for (const name in metrics) {
      if (!this.kpis.has(name)) continue;
      add(kpis, name, metrics[name] as number);
      if (this.journal) this.journalKpi(period.revision, index, name, metrics[name] as number);
    }
    if (!this.pulledArms.has(index)) this.checkBreakers(index, metrics, ts);
    return ok(index);
  }

  /** Starts keeping deltas for drainDeltas() (scale-out: each instance flushes them to Redis). */
  startJournal(): void {
    this.journal ??= { kpis: new Map(), exposures: [] };
  }

  /** Everything added since the last drain; the journal starts empty again. */
  drainDeltas(): StatsDelta {
    const journal = this.journal;
    if (!journal) return { kpis: [], exposures: [] };
    this.journal = { kpis: new Map(), exposures: [] };
    return { kpis: [...journal.kpis.values()].map(({ revision, arm, kpi, n, sum, sumSquares }) => ({ revision, arm, kpi, n, sum, sumSquares })), exposures: journal.exposures };
  }

  private journalKpi(revision: number, arm: number, kpi: string, x: number): void {
    const kpis = (this.journal as NonNullable<typeof this.journal>).kpis;
    const key = `${revision}\u0000${arm}\u0000${kpi}`;
    let m = kpis.get(key);
    if (!m) kpis.set(key, (m = { revision, arm, kpi, n: 0, sum: 0, sumSquares: 0 }));
    m.n += 1;
    m.sum += x;
    m.sumSquares += x * x;
  }

  /** Moves to new weights with the fewest units changing arm; opens a new allocation period. */
  setWeights(weights: readonly number[], now: number): void {
    this.table = reallocate(this.table, this.table.arms, weights);
    this.openPeriod(now);
  }

  /** Takes an arm out of traffic: its share goes back to the baseline, other arms keep theirs. */
  pull(arm: VersionId, now: number): void {
    const index = this.armIndex.get(arm);
    if (index === undefined || index === 0 || this.pulledArms.has(index)) return;
    this.pulledArms.add(index);
    const weights = [...this.weights];
    weights[0] = (weights[0] as number) + (weights[index] as number);
    weights[index] = 0;
    this.setWeights(weights, now);
  }

  setStatus(status: ExperimentStatus, canaryStep = this.canaryStepValue): void {
    this.statusValue = status;
    this.canaryStepValue = canaryStep;
  }

  /** Arms still in traffic, baseline first. */
  liveArms(): Version[] {
    return this.arms.filter((_, i) => !this.pulledArms.has(i));
  }

  /**
   * Everything needed to resume this experiment after a restart: allocation table, pulled arms,
   * per-period statistics and who was served what. Breaker windows start afresh.
   */
  checkpoint(): ExperimentCheckpoint {
    return {
      format: 2,
      id: this.id,
      generation: this.generation,
      arms: this.arms.map((v) => v.id),
      status: this.statusValue,
      canaryStep: this.canaryStepValue,
      pulled: [...this.pulledArms],
      table: { hashVersion: this.table.hashVersion, revision: this.table.revision, buckets: Buffer.from(this.table.buckets.buffer, this.table.buckets.byteOffset, this.table.buckets.byteLength).toString("base64") },
      unitsPerArm: [...this.unitsPerArm],
      periods: this.periods.map((p) => ({ revision: p.revision, from: p.from, weights: p.weights, newUnits: p.newUnits, kpis: p.kpis.map(freeze) })),
    };
  }

  /** Rebuilds an experiment from its checkpoint; `arms` are the versions named in it, in order. */
  static restore(checkpoint: ExperimentCheckpoint, input: { target: string; arms: readonly Version[]; kpis: KpiRules; breakers?: readonly BreakerRule[] }): LiveExperiment {
    const first = checkpoint.periods[0];
    const experiment = new LiveExperiment({
      id: checkpoint.id,
      target: input.target,
      generation: checkpoint.generation,
      arms: input.arms,
      weights: first?.weights ?? input.arms.map(() => 1),
      status: checkpoint.status,
      now: first?.from ?? 0,
      kpis: input.kpis,
      ...(input.breakers ? { breakers: input.breakers } : {}),
    });
    const bytes = Buffer.from(checkpoint.table.buckets, "base64");
    const buckets = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    experiment.table = { hashVersion: checkpoint.table.hashVersion, revision: checkpoint.table.revision, arms: input.arms.map((v) => v.id), buckets };
    experiment.canaryStepValue = checkpoint.canaryStep;
    for (const i of checkpoint.pulled) experiment.pulledArms.add(i);
    checkpoint.unitsPerArm.forEach((n, i) => (experiment.unitsPerArm[i] = n));
    experiment.periods.length = 0;
    for (const p of checkpoint.periods)
      experiment.periods.push({
        revision: p.revision,
        from: p.from,
        weights: [...p.weights],
        newUnits: [...p.newUnits],
        kpis: p.kpis.map((k) => new Map(Object.entries(k).map(([name, m]) => [name, { n: m.n, sum: m.sum, sumSquares: m.sumSquares }]))),
      });
    // Format 1 carried every unit inline; format 2 leaves them to the served journal.
    if (checkpoint.served) experiment.served.load(checkpoint.served);
    return experiment;
  }

  /** Breaker trips since the last drain (a replica ships them to the instance that decides). */
  drainTrips(): BreakerTrip[] {
    const trips = this.trips;
    this.trips = [];
    return trips;
  }

  /**
   * Trips other instances saw; the next snapshot reports them (and the tick pulls the arms).
   * One per arm, and none for an arm already out of traffic: it was pulled once already.
   */
  addTrips(trips: readonly BreakerTrip[]): void {
    for (const trip of trips) {
      const index = this.armIndex.get(trip.arm);
      if (index === undefined || this.pulledArms.has(index) || this.trips.some((t) => t.arm === trip.arm)) continue;
      this.trips.push(trip);
    }
  }

  /**
   * Takes over from the previous replica of the same experiment when the allocation was
   * reloaded: who was served what (an outcome without an arm still finds its unit) and the
   * breakers' sliding windows (a reload must not give a failing arm a fresh start).
   */
  adopt(previous: LiveExperiment): void {
    if (previous.id !== this.id || previous.arms.length !== this.arms.length) return;
    this.served.adopt(previous.served);
    this.breakers = previous.breakers;
    // An arm this instance's breaker pulled stays out even if the shared state has not heard
    // of the trip yet; arms never come back into an experiment, so this cannot undo a decision.
    const now = (this.periods[this.periods.length - 1] as PeriodState).from;
    for (const index of previous.pulledArms) if (!this.pulledArms.has(index)) this.pull((this.arms[index] as Version).id, now);
  }

  /** Pulls the arm at once when a breaker trips: its units go back to the baseline now. */
  private checkBreakers(index: number, metrics: Readonly<Record<string, number>>, ts: number): void {
    for (const breaker of this.breakers[index] as SlidingBreaker[]) {
      const x = metrics[breaker.rule.kpi];
      if (x === undefined) continue;
      const rate = breaker.observe(x);
      if (rate === null || !this.live) continue;
      const arm = (this.arms[index] as Version).id;
      this.trips.push({ arm, kpi: breaker.rule.kpi, rate, limit: breaker.rule.limit, n: breaker.observations, at: ts });
      this.pull(arm, ts);
      return;
    }
  }

  /** Plain-data copy for the analysis tick; trips reported once. */
  snapshot(now: number): ExperimentSnapshot {
    const snapshot: ExperimentSnapshot = {
      experiment: this.id,
      target: this.target,
      generation: this.generation,
      status: this.statusValue,
      at: now,
      arms: this.arms.map((v) => v.id),
      pulled: [...this.pulledArms].sort((a, b) => a - b).map((i) => (this.arms[i] as Version).id),
      canaryStep: this.canaryStepValue,
      units: [...this.unitsPerArm],
      periods: this.periods.map(
        (p): AllocationPeriod => ({
          revision: p.revision,
          from: p.from,
          weights: [...p.weights],
          newUnits: [...p.newUnits],
          kpis: p.kpis.map(freeze),
        }),
      ),
      trips: this.trips,
    };
    this.trips = [];
    return snapshot;
  }

  private openPeriod(now: number): void {
    this.periods.push({ revision: this.table.revision, from: now, weights: tableWeights(this.table), newUnits: this.arms.map(() => 0), kpis: this.emptyKpis() });
  }

  private emptyKpis(): Map<string, Accumulator>[] {
    return this.arms.map(() => new Map<string, Accumulator>());
  }
}

function add(kpis: Map<string, Accumulator>, name: string, x: number): void {
  let m = kpis.get(name);
  if (!m) kpis.set(name, (m = { n: 0, sum: 0, sumSquares: 0 }));
  m.n += 1;
  m.sum += x;
  m.sumSquares += x * x;
}

function freeze(kpis: Map<string, Accumulator>): Readonly<Record<string, Moments>> {
  const out: Record<string, Moments> = {};
  for (const name of [...kpis.keys()].sort()) {
    const m = kpis.get(name) as Accumulator;
    out[name] = { n: m.n, sum: m.sum, sumSquares: m.sumSquares };
  }
  return out;
}
