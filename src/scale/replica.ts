import { currentBaseline, followSegmentBaselines, pendingDrafts } from "../domain/history.js";
import { servableSegmentBaselines } from "../lifecycle/restore.js";
import type { Logger } from "../domain/logger.js";
import type { BreakerTrip } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { GenerationRecord } from "../lifecycle/records.js";
import type { ExperimentView } from "../runtime/ports.js";
import type { RedisStats } from "../store/redis-stats.js";
import { evidenceRules } from "../evidence/rules.js";
import { metricPlan } from "../evidence/unit-metrics.js";
import type { StatsDelta } from "../domain/snapshot.js";
import { PendingDeltas } from "../evidence/journal.js";
import { LiveExperiment, type LifecycleView } from "../stream/live-experiment.js";
import type { ExperimentRouter } from "../stream/router.js";
import type { SharedCheckpoint } from "./merge.js";
import type { SharedRead, SharedState } from "./shared-state.js";

export interface ReplicaDeps {
  readonly target: Target;
  readonly state: SharedState;
  readonly stats: RedisStats;
  readonly router: ExperimentRouter;
  readonly log: Logger;
  /** Names this instance in flush tokens (unique per process). */
  readonly instance: string;
  /** Most distinct exposures held back while Redis is unreachable; older ones beyond it are dropped. */
  readonly maxUnflushed: number;
  /** Told how many exposures were dropped (metrics). */
  readonly onDropped?: (count: number) => void;
}

/**
 * Deltas of one experiment not yet in Redis: KPI sums merged, exposures deduplicated. A batch
 * is sealed with a token at its first flush attempt and sent unchanged until it lands, so a
 * retry after a lost reply is recognised; later deltas go to a new batch.
 */
interface Pending {
  readonly experiment: string;
  token: string | null;
  readonly deltas: PendingDeltas;
}

/**
 * One instance's copy of a target in scale-out: the baseline and the live experiment's
 * allocation as the shared state has them, serving evaluations from memory. Events recorded
 * here are journaled and flushed to the merged statistics; while Redis is unreachable the
 * replica keeps serving its last known allocation and holds back (bounded) what it cannot flush.
 */
export class Replica {
  private revisionSeen = -1;
  private batchesSeen = 0;
  private readonly versions = new Map<VersionId, Version>();
  private baselineVersion: Version | null = null;
  /** The segment baselines the history recorded so far, and those served (policy.segmentBaselines). */
  private recordedSegments: { target: VersionId | null; segments: Map<string, VersionId> } = { target: null, segments: new Map() };
  private segmentVersions: ReadonlyMap<string, Version> = new Map();
  private checkpointText: string | null = null;
  private current: LiveExperiment | null = null;
  /** Status and canary step of the shared allocation (the lifecycle's, as committed). */
  private lifecycle: LifecycleView | null = null;
  private killReason: string | null = null;
  /** A kill made here that Redis has not confirmed yet: it holds whatever the shared state says. */
  private localKill: string | null = null;
  private recordValue: GenerationRecord | null = null;
  private pendingDrafts: readonly VersionId[] = [];
  /** Oldest first; at most one unsealed batch per experiment, at the end. */
  private pending: Pending[] = [];
  private flushes = 0;
  private flushing: Promise<void> = Promise.resolve();
  private trips: BreakerTrip[] = [];

  constructor(private readonly deps: ReplicaDeps) {}

  get revision(): number {
    return this.revisionSeen;
  }
  get baseline(): Version {
    if (!this.baselineVersion) throw new Error(`target "${this.deps.target.name}" has no baseline yet`);
    return this.baselineVersion;
  }
  /** Per-segment baselines: the segments that serve their own version (lifecycle/restore.ts rules). */
  get segmentBaselines(): ReadonlyMap<string, Version> {
    return this.segmentVersions;
  }
  /** The live experiment this instance serves (null when none, killed or paused). */
  get experiment(): LiveExperiment | null {
    return this.killReason === null && !this.lifecycle?.paused?.length ? this.current : null;
  }
  get killed(): boolean {
    return this.killReason !== null;
  }
  /** The served experiment as status views see it. */
  get view(): ExperimentView | null {
    const experiment = this.killReason === null ? this.current : null;
    const lifecycle = this.lifecycle;
    if (!experiment || !lifecycle) return null;
    const paused = lifecycle.paused ?? [];
    return {
      id: experiment.id,
      generation: experiment.generation,
      status: paused.length > 0 ? "paused" : lifecycle.status,
      paused,
      canaryStep: lifecycle.canaryStep,
      arms: experiment.arms,
      weights: experiment.weights,
      isPulled: (arm) => experiment.isPulled(arm),
      indexOf: (arm) => experiment.indexOf(arm),
      statistics: () => experiment.statistics(),
    };
  }
  /** Operators' drafts the shared history holds that no generation has taken yet. */
  get drafts(): readonly VersionId[] {
    return this.pendingDrafts;
  }
  get record(): GenerationRecord | null {
    return this.recordValue;
  }
  version(id: VersionId): Version | undefined {
    return this.versions.get(id);
  }
  /** Exposures held back, not yet in Redis. */
  get unflushed(): number {
    let n = 0;
    for (const p of this.pending) n += p.deltas.size;
    return n;
  }

  /** Reloads from Redis when the shared revision moved (or always, with `force`). */
  async sync(force = false): Promise<void> {
    const { state, target } = this.deps;
    if (!force && (await state.revision(target.name)) === this.revisionSeen) return;
    let read = await state.read(target.name, this.batchesSeen);
    if (read.batches < this.batchesSeen) {
      // The history is shorter than what this replica has seen: Redis lost data (no persistence)
      // or was emptied. Start over from what is there; the router keeps the last baseline meanwhile.
      this.deps.log.error({ target: target.name, seen: this.batchesSeen, stored: read.batches }, "shared history shorter than seen; reloading it whole");
      this.batchesSeen = 0;
      this.versions.clear();
      this.recordedSegments = { target: null, segments: new Map() };
      this.pendingDrafts = [];
      read = await state.read(target.name, 0);
    }
    this.apply(read);
  }

  /** The kill switch, on this instance at once (the shared switch follows through Redis). */
  killLocally(reason: string): void {
    this.killReason = reason;
    this.localKill = reason;
    this.deps.router.setExperiment(this.deps.target.name, null);
  }

  /** The shared kill switch now holds (or was turned off): no local override any more. */
  confirmKill(): void {
    this.localKill = null;
  }

  private apply(read: SharedRead): void {
    const { target, router, log } = this.deps;
    for (const entry of read.history) if (entry.kind === "version") this.versions.set(entry.version.id, entry.version);
    this.pendingDrafts = pendingDrafts(read.history, this.pendingDrafts);
    this.batchesSeen = read.batches;
    const baselineId = currentBaseline(read.history);
    const baseline = baselineId ? this.versions.get(baselineId) : undefined;
    this.recordedSegments = followSegmentBaselines(this.recordedSegments, read.history);
    const segments = servableSegmentBaselines(target, this.recordedSegments.segments, this.versions).served;
    const segmentsMoved = !sameSegments(segments, this.segmentVersions);
    if ((baseline && baseline.id !== this.baselineVersion?.id) || segmentsMoved) {
      this.baselineVersion = baseline ?? this.baselineVersion;
      this.segmentVersions = segments;
      if (this.baselineVersion) router.setBaseline(target.name, this.baselineVersion, segments.size > 0 ? { rules: target.policy.segments, versions: segments } : undefined);
    }
    this.killReason = read.kill ?? this.localKill;
    if (read.record !== null) this.recordValue = parseRecord(read.record) ?? this.recordValue;
    if (read.checkpoint !== this.checkpointText) {
      this.checkpointText = read.checkpoint;
      const previous = this.current;
      if (previous) {
        this.keep(previous);
        this.trips.push(...previous.drainTrips());
      }
      this.current = this.experimentOf(read.checkpoint);
      this.lifecycle = this.current ? lifecycleOf(read.checkpoint as string) : null;
      if (previous && this.current) this.current.adopt(previous);
    }
    router.setExperiment(target.name, this.experiment);
    if (read.revision !== this.revisionSeen) log.debug({ target: target.name, revision: read.revision, experiment: this.experiment?.id ?? null, weights: this.experiment?.weights ?? null }, "shared state reloaded");
    this.revisionSeen = read.revision;
  }

  private experimentOf(text: string | null): LiveExperiment | null {
    if (text === null) return null;
    try {
      const checkpoint = JSON.parse(text) as SharedCheckpoint;
      const arms = checkpoint.arms.map((id) => this.versions.get(id));
      if (arms.some((v) => v === undefined)) throw new Error("it names a version the history does not have");
      // Units of a segment with its own baseline are served it in the baseline arm, and may name it.
      const aliases = [...this.segmentVersions.values()].map((v) => v.id);
      const experiment = LiveExperiment.restore(checkpoint, { target: this.deps.target.name, arms: arms as Version[], ...evidenceRules(this.deps.target.policy), aliases });
      experiment.startJournal();
      return experiment;
    } catch (error) {
      // Serving the baseline is the safe answer to an allocation this instance cannot read.
      this.deps.log.error({ target: this.deps.target.name, error: (error as Error).message }, "shared allocation unreadable; serving the baseline");
      return null;
    }
  }

  /**
   * Sends what this instance recorded since the last flush; on failure holds it back (bounded).
   * Flushes run one at a time (the timer, a tick and stop all flush): two at once would send
   * the same batch twice and drop the next one from the queue.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushOnce());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<void> {
    if (this.current) {
      this.keep(this.current);
      this.trips.push(...this.current.drainTrips());
    }
    for (const batch of this.pending) batch.token ??= `${this.deps.instance}:${++this.flushes}`;
    while (this.pending.length > 0) {
      const batch = this.pending[0] as Pending;
      await this.deps.stats.flush(batch.experiment, batch.deltas.toDelta(), metricPlan(this.deps.target.policy), batch.token ?? "", this.deps.target.policy.segments.length);
      this.pending.shift();
    }
    if (this.trips.length > 0) {
      await this.deps.state.reportTrips(this.deps.target.name, this.trips);
      this.trips = [];
    }
  }

  /** Moves an experiment's journal into the pending deltas, dropping the oldest beyond the bound. */
  private keep(experiment: LiveExperiment): void {
    const delta: StatsDelta = experiment.drainDeltas();
    if (delta.units.length === 0 && delta.exposures.length === 0) return;
    let pending = this.pending.find((p) => p.experiment === experiment.id && p.token === null);
    if (!pending) this.pending.push((pending = { experiment: experiment.id, token: null, deltas: new PendingDeltas() }));
    pending.deltas.fold(delta);
    let excess = this.unflushed - this.deps.maxUnflushed;
    if (excess <= 0) return;
    let dropped = 0;
    for (const p of this.pending) {
      for (const key of p.deltas.exposures.keys()) {
        if (excess <= 0) break;
        p.deltas.exposures.delete(key);
        excess--;
        dropped++;
      }
    }
    if (dropped > 0) {
      this.deps.onDropped?.(dropped);
      this.deps.log.warn({ target: this.deps.target.name, dropped, maxUnflushed: this.deps.maxUnflushed }, "statistics buffer full while Redis is unreachable; oldest exposures dropped");
    }
  }
}

/** Status and step as the shared allocation records them. */
function lifecycleOf(text: string): LifecycleView {
  const { status, canaryStep, paused } = JSON.parse(text) as SharedCheckpoint;
  return { status, canaryStep, ...(paused?.length ? { paused } : {}) };
}

/** The shared status record; a garbled one is ignored (it is only what status views show). */
function parseRecord(text: string): GenerationRecord | null {
  try {
    return JSON.parse(text) as GenerationRecord;
  } catch {
    return null;
  }
}

function sameSegments(a: ReadonlyMap<string, Version>, b: ReadonlyMap<string, Version>): boolean {
  return a.size === b.size && [...a].every(([segment, v]) => b.get(segment)?.id === v.id);
}
