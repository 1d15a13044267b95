import { interval, timer, type SchedulerLike, type Subscription } from "rxjs";
import { validateValues } from "../config/schema.js";
import { versionIdOf } from "../config/canonical.js";
import type { BanditEngine } from "../bandit/posterior.js";
import { allocate, probabilityBest, rememberingLast, totalVariation } from "../decide/allocation.js";
import { analyze, type Analysis } from "../decide/analysis.js";
import { decide, type TickDecision } from "../decide/decision.js";
import type { Clock } from "../domain/clock.js";
import { canTransition, type ExperimentStatus } from "../domain/experiment.js";
import { currentBaseline, lastGeneration, versionsOf, type HistoryEntry } from "../domain/history.js";
import type { Logger } from "../domain/logger.js";
import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { Rng } from "../domain/rng.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { Screener } from "../sim/screening.js";
import type { HistoryStore } from "../store/ports.js";
import { LiveExperiment } from "../stream/live-experiment.js";
import type { ExperimentRouter } from "../stream/router.js";
import { evidenceOf } from "./evidence.js";
import { newRecord, planGeneration, transitionEntry, type GenerationRecord } from "./generation.js";
import { resume } from "./resume.js";
import { DurableWrites } from "../runtime/durable-writes.js";

/** How long an admin call waits for its decision to be durable before it answers 503. */
const FLUSH_MS = 5_000;
/** How long stop() waits for the last writes (the CLI's shutdown deadline is above it). */
const STOP_FLUSH_MS = 8_000;
/**
 * The served journal is appended to every SERVED_FLUSH_MS, at most SERVED_FLUSH_MAX units at a
 * time: encoding units blocks the event loop, and small drains keep each pause to a few
 * milliseconds (40,000 new units a second at most; beyond, the backlog waits). A crash loses at
 * most what is still waiting.
 */
const SERVED_FLUSH_MS = 50;
const SERVED_FLUSH_MAX = 2_000;

export interface OptimizerDeps {
  readonly target: Target;
  readonly store: HistoryStore;
  readonly clock: Clock;
  /** Drives the analysis tick: asyncScheduler live, a VirtualTimeScheduler in simulation. */
  readonly scheduler: SchedulerLike;
  /** Derived from the policy seed; every generation forks its own streams from it. */
  readonly rng: Rng;
  readonly router: ExperimentRouter;
  readonly screen: Screener;
  /** The WebAssembly bandit kernel (or its twin): allocation weights from probability to be best. */
  readonly bandit: BanditEngine;
  readonly log: Logger;
  /** Told of every decision and analysis (metrics); optional. */
  readonly observer?: OptimizerObserver;
  /**
   * Checkpoint the live experiment after every tick (default), bounding what a crash loses;
   * simulations, which do not crash mid-run, checkpoint only at stop.
   */
  readonly checkpointEveryTick?: boolean;
  /**
   * Scale-out: never propose inline. When a generation is due, `wantsGeneration` turns true and
   * the caller runs `proposeNext()` elsewhere (a screening job any instance may take).
   */
  readonly deferGenerations?: boolean;
}

export interface OptimizerObserver {
  /**
   * kind: commit, rollback, inconclusive, killed, pull, ramp, promote, hold; cause: a bounded
   * code (for pulls circuit_breaker, guardrail or primary_worse; for kills kill_switch,
   * operator_rollback or target_file; else the kind).
   */
  decision(target: string, kind: string, cause: string): void;
  /** One analysis tick took `seconds` (from the observer's own monotonic clock). */
  analysis(target: string, seconds: number): void;
  /** A monotonic clock in seconds, for timing ticks. */
  now(): number;
}

/**
 * The closed loop for one target: propose → screen → canary → run → commit / roll back /
 * inconclusive → propose again from the (new) baseline. Decisions apply to traffic at once
 * (through the router); their history entries are written behind, in order, one atomic batch
 * per decision, and `flush()` waits for them.
 */
export class Optimizer {
  private baselineVersion!: Version;
  private versions = new Map<VersionId, Version>();
  private generation = 0;
  private current: LiveExperiment | null = null;
  private record: GenerationRecord | null = null;
  private readonly records: GenerationRecord[] = [];
  private ticker: Subscription | null = null;
  private readonly writes: DurableWrites;
  private paused = false;
  private finished = false;
  private ticks = 0;
  private generationWanted = false;

  constructor(private readonly deps: OptimizerDeps) {
    this.writes = new DurableWrites({
      store: deps.store,
      target: deps.target.name,
      log: deps.log,
      later: (ms, retry) => void timer(ms, deps.scheduler).subscribe(retry),
    });
  }

  /** Why this target's history cannot be written now (null while it can): no decisions meanwhile. */
  get storeError(): Error | null {
    return this.writes.error;
  }

  /** History writes not yet durable (what they serve waits for them). */
  get pendingWrites(): number {
    return this.writes.pending;
  }

  get target(): Target {
    return this.deps.target;
  }
  get baseline(): Version {
    return this.baselineVersion;
  }
  get experiment(): LiveExperiment | null {
    return this.current;
  }
  get generations(): readonly GenerationRecord[] {
    return this.records;
  }
  /** A version this target has seen (proposed, baseline or restored from history). */
  version(id: VersionId): Version | undefined {
    return this.versions.get(id);
  }
  /** The highest generation started so far (0 for none). */
  get lastGeneration(): number {
    return this.generation;
  }
  /** With deferGenerations: a generation is due (no live experiment, not killed, not done). */
  get wantsGeneration(): boolean {
    return this.generationWanted && !this.paused && !this.finished && !this.current?.live;
  }
  /** True once maxGenerations have ended (never for maxGenerations 0). */
  get done(): boolean {
    return this.finished;
  }

  /** Restores baseline, versions and generation count from the store (or records the initial baseline). */
  async restore(): Promise<void> {
    const { target, store, clock } = this.deps;
    const history = await store.read(target.name);
    this.versions = versionsOf(history);
    this.generation = lastGeneration(history);
    const fileBaseline = this.versionOf(target.baseline, null, 0);
    const storedId = currentBaseline(history);
    const stored = storedId ? this.versions.get(storedId) : undefined;
    if (stored && validateValues(target.schema, target.functions, stored.values).length === 0) {
      this.baselineVersion = stored;
    } else {
      // First run, or the stored baseline no longer fits the target file's schema.
      const cause = stored ? "reload" : "initial";
      const reason = stored ? "stored baseline does not fit the target file's schema; using the file's baseline" : "baseline loaded from the target file";
      this.baselineVersion = fileBaseline;
      this.versions.set(fileBaseline.id, fileBaseline);
      this.write([
        { kind: "version", at: clock.now(), version: fileBaseline },
        { kind: "baseline", at: clock.now(), version: fileBaseline.id, previous: storedId, cause, reason },
      ]);
    }
    const baseline = this.baselineVersion;
    this.write([], () => this.deps.router.setBaseline(target.name, baseline));
    await this.resumeLive(history);
    this.restoreLog({ target: target.name, version: this.baselineVersion.id, generation: this.generation, resumed: this.current?.id ?? null }, "target restored");
  }

  /** In scale-out every decision restores: routine there, worth a line only at a real start. */
  private restoreLog(fields: Record<string, unknown>, message: string): void {
    if (this.deps.deferGenerations) this.deps.log.debug(fields, message);
    else this.deps.log.info(fields, message);
  }

  /** Picks up the experiment that was live at the last stop, or closes it in the history. */
  private async resumeLive(history: readonly HistoryEntry[]): Promise<void> {
    const { target, store, clock, router, log } = this.deps;
    const outcome = resume({ target, history, checkpoint: await store.loadCheckpoint(target.name), versions: this.versions, baseline: this.baselineVersion });
    if (outcome.kind === "abandoned") {
      // canary and running may both end "killed"; the reason says it was the restart.
      this.write([transitionEntry(outcome.experiment, outcome.generation, outcome.status, "killed", `not resumed: ${outcome.reason}`, clock.now())]);
      log.warn({ target: target.name, experiment: outcome.experiment, reason: outcome.reason }, "experiment not resumed");
      return;
    }
    if (outcome.kind !== "resumed") return;
    const experiment = outcome.experiment;
    experiment.served.replay(await store.loadServed(target.name, experiment.id));
    if (this.journaling) experiment.served.startJournal();
    this.current = experiment;
    this.ticks = outcome.ticks ?? this.ticks;
    // What the history says of this generation, so status views read as if it never stopped
    // (in scale-out every decision resumes).
    const own = history.filter((e) => (e.kind === "transition" || e.kind === "arm_exit") && e.experiment === experiment.id);
    const startedAt = own[0]?.at ?? clock.now();
    this.record = { ...newRecord(experiment.id, experiment.generation, this.baselineVersion.id, startedAt, experiment.arms.slice(1), []), arms: experiment.arms.map((v) => v.id), status: experiment.status, reason: "" };
    for (const entry of own) {
      if (entry.kind === "transition") this.record.reason = entry.reason;
      else if (entry.kind === "arm_exit") (entry.exit === "pulled" ? this.record.pulled : this.record.rejected).push({ version: entry.version, reason: entry.reason });
    }
    this.records.push(this.record);
    router.setExperiment(target.name, experiment);
    this.restoreLog({ target: target.name, experiment: experiment.id, status: experiment.status, weights: experiment.weights }, "experiment resumed from checkpoint");
  }

  /** Starts the analysis tick, and the first generation unless an experiment was resumed. */
  start(): void {
    this.ticker = interval(this.deps.target.policy.analysisEveryMs, this.deps.scheduler).subscribe(() => this.tick());
    if (this.journaling) this.ticker.add(interval(SERVED_FLUSH_MS, this.deps.scheduler).subscribe(() => this.flushServed(SERVED_FLUSH_MAX)));
    if (!this.current) this.startGeneration();
  }

  /**
   * Stops ticking, saves the live experiment's checkpoint (so a restart resumes it) and waits
   * for history writes.
   */
  async stop(): Promise<void> {
    this.ticker?.unsubscribe();
    this.ticker = null;
    this.flushServed(); // all of it: the timer that drained it a little at a time has stopped
    this.saveCheckpoint();
    await this.flush(STOP_FLUSH_MS);
  }

  /** Queued behind the history writes, so a checkpoint never runs ahead of its history. */
  private saveCheckpoint(): void {
    this.writes.checkpoint(this.checkpointState());
  }

  /** Checkpoint every tick and journal who was served what (the daemon; not simulations). */
  private get journaling(): boolean {
    return this.deps.checkpointEveryTick ?? true;
  }

  /** The live experiment's served-journal lines since the last flush, queued for the store. */
  private flushServed(max = Infinity): void {
    if (this.journaling && this.current?.live) this.writes.served(this.current.id, this.current.served.drainJournal(max));
  }

  /** The live experiment's checkpoint as JSON (with the tick count that seeds allocation), or null. */
  checkpointState(): string | null {
    return this.current?.live ? JSON.stringify({ ...this.current.checkpoint(), ticks: this.ticks }) : null;
  }

  /** Waits until every decision so far is in the store; rethrows a failed write. */
  async flush(timeoutMs = FLUSH_MS): Promise<void> {
    await this.writes.flush(timeoutMs);
  }

  /** Kill switch: the live experiment ends now and no new generation starts until resume(). */
  kill(reason: string): void {
    this.paused = true;
    if (this.current?.live) this.finish(this.current, "killed", `kill switch: ${reason}`, null);
  }

  /** Kill switch off: the next generation starts now (not at the next tick). */
  resume(): void {
    if (!this.paused) return;
    if (this.writes.error) throw Object.assign(new Error(`the history of "${this.deps.target.name}" cannot be written now: ${this.writes.error.message}`), { code: "store_unavailable" });
    this.paused = false;
    if (this.ticker && !this.current?.live) this.startGeneration();
  }

  /** True while the kill switch holds the target (no experiment, no new generation). */
  get killed(): boolean {
    return this.paused;
  }

  /**
   * An operator's rollback: any version this target has seen becomes the baseline, recorded as
   * its own history entry. A live experiment is killed first; the next generation starts from
   * the chosen version at once (unless the kill switch holds the target).
   */
  rollbackTo(id: VersionId, reason: string): Result<Version, Problem> {
    const { target, router, clock, log } = this.deps;
    if (this.writes.error) return err(problem("store_unavailable", `the history of "${target.name}" cannot be written now: ${this.writes.error.message}`));
    const version = this.versions.get(id);
    if (!version) return err(problem("unknown_version", `no version ${id} in target "${target.name}"`));
    if (version.id === this.baselineVersion.id) return err(problem("already_baseline", `${id} is already the baseline of "${target.name}"`));
    const broken = validateValues(target.schema, target.functions, version.values);
    if (broken.length) return err(problem("invalid_version", `${id} no longer fits the target's schema: ${broken.join("; ")}`));
    const wasPaused = this.paused;
    this.paused = true; // finish() must not start a generation from the old baseline
    if (this.current?.live) this.finish(this.current, "killed", `rollback to ${id}: ${reason}`, null);
    this.paused = wasPaused;
    const previous = this.baselineVersion.id;
    this.baselineVersion = version;
    this.write([{ kind: "baseline", at: clock.now(), version: version.id, previous, cause: "rollback", reason }], () => router.setBaseline(target.name, version));
    log.warn({ target: target.name, version: version.id, previous, reason }, "baseline rolled back");
    if (this.ticker) this.startGeneration();
    return ok(version);
  }

  /** One analysis tick: read the statistics, decide, apply. Public so tests can tick by hand. */
  tick(): TickDecision | null {
    // A decision that cannot be made durable must not be made: wait for the store (it is retried).
    if (this.writes.error) return null;
    const experiment = this.current;
    if (!experiment?.live) {
      this.startGeneration();
      return null;
    }
    const now = this.deps.clock.now();
    const started = this.deps.observer?.now() ?? 0;
    const snapshot = experiment.snapshot(now);
    const analysis = analyze(snapshot, this.deps.target.policy);
    if (this.record) {
      this.record.lastAnalysis = analysis;
      this.record.lastSnapshot = snapshot;
    }
    const decision = decide(snapshot, analysis, this.deps.target.policy);
    this.apply(experiment, decision, analysis, now);
    if (experiment.live && decision.verdict.kind !== "hold") this.rebalance(experiment, snapshot, now);
    // A checkpoint per tick bounds what a crash can lose to one analysis period.
    if (this.deps.checkpointEveryTick ?? true) this.saveCheckpoint();
    const observer = this.deps.observer;
    if (observer) {
      observer.analysis(this.deps.target.name, observer.now() - started);
      for (const pull of decision.pulls) observer.decision(this.deps.target.name, "pull", pull.cause);
      if (decision.verdict.kind !== "continue") observer.decision(this.deps.target.name, decision.verdict.kind, decision.verdict.kind);
    }
    return decision;
  }

  private apply(experiment: LiveExperiment, decision: TickDecision, analysis: Analysis, now: number): void {
    const { target, log } = this.deps;
    const evidence = evidenceOf(analysis);
    for (const pull of decision.pulls) {
      experiment.pull(pull.arm, now);
      this.record?.pulled.push({ version: pull.arm, reason: pull.reason });
      this.write([{ kind: "arm_exit", at: now, experiment: experiment.id, version: pull.arm, exit: "pulled", reason: pull.reason, evidence }]);
      log.warn({ target: target.name, experiment: experiment.id, arm: pull.arm, cause: pull.cause, reason: pull.reason }, "arm pulled");
    }
    const verdict = decision.verdict;
    switch (verdict.kind) {
      case "continue":
        return;
      case "hold":
        log.warn({ target: target.name, experiment: experiment.id, reason: verdict.reason }, "experiment held");
        return;
      case "ramp":
        experiment.setStatus("canary", verdict.toStep);
        log.info({ target: target.name, experiment: experiment.id, step: verdict.toStep, reason: verdict.reason }, "canary ramp");
        return;
      case "promote":
        this.transition(experiment, "running", verdict.reason, evidence);
        return;
      case "commit":
        this.finish(experiment, "committed", verdict.reason, evidence, verdict.arm);
        return;
      case "rollback":
        this.finish(experiment, "rolled_back", verdict.reason, evidence);
        return;
      case "inconclusive":
        this.finish(experiment, "inconclusive", verdict.reason, evidence);
        return;
    }
  }

  /**
   * New weights for the live experiment (bandit after burn-in, canary caps, floor); applied
   * only when they move by at least `minChange`, since every change opens a new allocation
   * period for the stratified analysis.
   */
  private rebalance(experiment: LiveExperiment, snapshot: ExperimentSnapshot, now: number): void {
    const policy = this.deps.target.policy;
    this.ticks += 1;
    const view: ExperimentSnapshot = { ...snapshot, status: experiment.status, pulled: experiment.arms.filter((v) => experiment.isPulled(v.id)).map((v) => v.id) };
    const seed = this.deps.rng.fork(`${experiment.id}/allocation:${this.ticks}`).int(2 ** 32);
    const bandit = rememberingLast(this.deps.bandit);
    if (this.record?.experiment === experiment.id) this.record.lastProbabilityBest = probabilityBest(view, policy, bandit, seed);
    const weights = allocate(view, policy, bandit, seed, experiment.canaryStep);
    if (totalVariation(weights, experiment.weights) < policy.allocation.minChange) return;
    experiment.setWeights(weights, now);
    this.deps.log.info({ target: this.deps.target.name, experiment: experiment.id, weights: experiment.weights, engine: this.deps.bandit.name }, "allocation updated");
  }

  /**
   * With deferGenerations: proposes, screens and starts the next generation now. False when
   * none may start (an experiment is live, the kill switch holds the target, or it is done).
   */
  proposeNext(): boolean {
    if (this.current?.live || this.paused || this.finished) return false;
    this.startGeneration(true);
    return true;
  }

  /** Proposes, screens and starts the next generation's experiment (if allowed). */
  private startGeneration(now = false): void {
    const { target, clock, log } = this.deps;
    const policy = target.policy;
    if (this.paused || this.finished) return;
    if (this.deps.deferGenerations && !now) {
      this.generationWanted = true;
      return;
    }
    this.generationWanted = false;
    // Embedded, a run's own generations count; in scale-out every decision rebuilds the
    // optimizer from the shared history, so all the deployment's generations count.
    const generations = this.deps.deferGenerations ? this.generation : this.records.length;
    if (policy.maxGenerations > 0 && generations >= policy.maxGenerations) {
      this.finished = true;
      return;
    }
    this.generation += 1;
    const plan = planGeneration({
      target,
      baseline: this.baselineVersion,
      known: new Set(this.versions.keys()),
      rng: this.deps.rng.fork(`generation:${this.generation}`),
      generation: this.generation,
      now: clock.now(),
      screen: this.deps.screen,
    });
    const { record, experiment } = plan;
    for (const v of record.proposed) this.versions.set(v.id, v);
    this.record = record;
    this.records.push(record);
    // The candidates are served only once their versions are durable.
    this.write(plan.entries, experiment ? () => this.deps.router.setExperiment(target.name, experiment) : null);
    log.info({ target: target.name, experiment: record.experiment, generation: record.generation, candidates: record.proposed.map((v) => v.id), dropped: record.dropped }, "generation proposed");
    if (!experiment) {
      log.info({ target: target.name, experiment: record.experiment, generation: record.generation, reason: record.reason }, "generation rejected");
      return;
    }
    if (this.journaling) experiment.served.startJournal();
    this.current = experiment;
    log.info({ target: target.name, experiment: experiment.id, generation: experiment.generation, arms: record.arms, weights: experiment.weights }, "experiment started (canary)");
  }

  private transition(experiment: LiveExperiment, to: ExperimentStatus, reason: string, evidence: unknown): void {
    const from = experiment.status;
    if (!canTransition(from, to)) {
      this.deps.log.error({ experiment: experiment.id, from, to }, "refused an illegal transition");
      return;
    }
    experiment.setStatus(to);
    if (this.record?.experiment === experiment.id) this.record.status = to;
    this.write([transitionEntry(experiment.id, experiment.generation, from, to, reason, this.deps.clock.now(), undefined, evidence)]);
    this.deps.log.info({ target: this.deps.target.name, experiment: experiment.id, from, to, reason }, "experiment transition");
  }

  /** Ends the experiment; a commit moves the baseline in the same atomic batch. */
  private finish(experiment: LiveExperiment, to: ExperimentStatus, reason: string, evidence: unknown, winner?: VersionId): void {
    const { target, router, clock, log } = this.deps;
    const from = experiment.status;
    if (!canTransition(from, to)) {
      log.error({ experiment: experiment.id, from, to }, "refused an illegal transition");
      return;
    }
    const now = clock.now();
    experiment.setStatus(to);
    // Ending serves the baseline at once (it is durable); a new baseline waits for its batch.
    router.setExperiment(target.name, null);
    const entries: HistoryEntry[] = [transitionEntry(experiment.id, experiment.generation, from, to, reason, now, undefined, evidence)];
    const committed = winner ? this.versions.get(winner) : undefined;
    if (committed) {
      entries.push({ kind: "baseline", at: now, version: committed.id, previous: this.baselineVersion.id, cause: "commit", reason, experiment: experiment.id, evidence });
      this.baselineVersion = committed;
    }
    this.write(entries, committed ? () => router.setBaseline(target.name, committed) : null);
    if (this.record?.experiment === experiment.id) {
      this.record.status = to;
      this.record.reason = reason;
      this.record.endedAt = now;
      this.record.committed = committed?.id ?? null;
    }
    this.current = null;
    log.info({ target: target.name, experiment: experiment.id, from, to, reason, version: committed?.id }, `experiment ${to}`);
    if (to === "killed") this.deps.observer?.decision(target.name, "killed", reason.startsWith("kill switch") ? "kill_switch" : reason.startsWith("rollback") ? "operator_rollback" : "target_file");
    this.startGeneration();
  }

  private versionOf(values: Target["baseline"], parent: VersionId | null, generation: number): Version {
    return { id: versionIdOf(values), target: this.deps.target.name, values, parent, mutations: [], seed: null, generation, createdAt: this.deps.clock.now() };
  }

  /**
   * History writes run in order behind the decisions, each durable before the next; `serve`
   * (a router change that makes traffic depend on the batch) runs only once it is.
   */
  private write(entries: readonly HistoryEntry[], serve: (() => void) | null = null): void {
    this.writes.append(entries, serve);
  }
}
