import { driftChanges, NO_DRIFT } from "../decide/drift.js";
import { interval, timer, type SchedulerLike, type Subscription } from "rxjs";
import type { BanditEngine } from "../bandit/posterior.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../domain/logger.js";
import type { HistoryStore, Screener } from "../domain/ports.js";
import { err, ok, problem, type Problem, type Result } from "../domain/result.js";
import type { Rng } from "../domain/rng.js";
import type { Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import type { Version, VersionId } from "../domain/version.js";
import type { Effect } from "../lifecycle/effects.js";
import type { Input, KillCause, StepContext } from "../lifecycle/inputs.js";
import type { GenerationRecord } from "../lifecycle/records.js";
import { restore } from "../lifecycle/restore.js";
import type { TargetState } from "../lifecycle/state.js";
import { step, type Step } from "../lifecycle/step.js";
import type { ExperimentRouter } from "../stream/router.js";
import { DurableWrites } from "./durable-writes.js";
import { Evidence } from "./evidence.js";
import type { ExperimentView, RuntimeObserver, SearchView, TargetControl } from "./ports.js";

export interface RuntimeDeps {
  readonly target: Target;
  readonly store: HistoryStore;
  readonly clock: Clock;
  /** Drives the analysis tick and write retries: asyncScheduler live, virtual in simulation. */
  readonly scheduler: SchedulerLike;
  readonly rng: Rng;
  readonly router: ExperimentRouter;
  readonly screen: Screener;
  readonly bandit: BanditEngine;
  readonly log: Logger;
  readonly observer?: RuntimeObserver;
  /** The registries a generation draws from (lifecycle/inputs.ts StepContext.registries). */
  readonly registries?: () => Readonly<Record<string, readonly string[]>>;
  /**
   * Checkpoint every tick and journal who was served what (the daemon, which may crash);
   * simulations, which do not, checkpoint only at stop.
   */
  readonly journaling: boolean;
}

/** How long an admin call waits for its decision to be durable before it answers 503. */
const FLUSH_MS = 5_000;
/** How long stop() waits for the last writes (the CLI's shutdown deadline is above it). */
const STOP_FLUSH_MS = 8_000;

/**
 * One target run in this process (embedded mode and simulations): the lifecycle's state, fed
 * its inputs (ticks, operator calls), and the effects of every step applied in order — history
 * to the store through DurableWrites, traffic to the router once what it serves is durable,
 * logs and metrics. It decides nothing itself: lifecycle/step.ts does.
 */
export class TargetRuntime implements TargetControl {
  private state!: TargetState;
  private readonly evidence: Evidence;
  private readonly writes: DurableWrites;
  private readonly ctx: StepContext;
  private ticker: Subscription | null = null;

  constructor(private readonly deps: RuntimeDeps) {
    this.ctx = { target: deps.target, rng: deps.rng, screen: deps.screen, bandit: deps.bandit, ...(deps.registries ? { registries: deps.registries } : {}) };
    this.writes = new DurableWrites({ store: deps.store, target: deps.target.name, log: deps.log, later: (ms, retry) => void timer(ms, deps.scheduler).subscribe(retry) });
    this.evidence = new Evidence({ target: deps.target, router: deps.router, writes: this.writes, journaling: deps.journaling });
  }

  get target(): Target {
    return this.deps.target;
  }
  get baseline(): Version {
    return this.state.baseline;
  }
  get experiment(): ExperimentView | null {
    return this.state.kind === "live" ? this.evidence.view(this.state.experiment) : null;
  }
  get killed(): boolean {
    return this.state.kind === "held";
  }
  /** True once maxGenerations have started and ended (never for maxGenerations 0). */
  get done(): boolean {
    return this.state.kind === "done";
  }
  get generations(): readonly GenerationRecord[] {
    return this.state.records;
  }
  get guardrailDrift(): Readonly<Record<string, number>> {
    return driftChanges(this.state.drift.get(this.state.baseline.id) ?? NO_DRIFT);
  }
  /** What the search has learnt from (search/observations.ts). */
  get search(): SearchView {
    const observations = this.state.observations;
    return { strategy: this.target.policy.search.strategy, observations: observations.length, live: observations.filter((o) => o.source === "live").length };
  }
  /** The highest generation started so far (0 for none). */
  get lastGeneration(): number {
    return this.state.generation;
  }
  version(id: VersionId): Version | undefined {
    return this.state.versions.get(id);
  }
  /** Why this target's history cannot be written now (null while it can): no decisions meanwhile. */
  get storeError(): Error | null {
    return this.writes.error;
  }
  /** History writes not yet durable (what they serve waits for them). */
  get pendingWrites(): number {
    return this.writes.pending;
  }

  /** Restores the state from the store (recording the file's baseline on a first run). */
  async restore(): Promise<void> {
    const { target, store, clock } = this.deps;
    const restored = restore({ target, history: await store.read(target.name), checkpoint: await store.loadCheckpoint(target.name), now: clock.now() });
    this.state = restored.state;
    this.evidence.loadEarlier((await store.loadCovariates?.(target.name)) ?? null);
    if (restored.resume) await this.evidence.resume(restored.resume.checkpoint, restored.resume.arms, await store.loadServed(target.name, restored.resume.checkpoint.id), restored.resume.aliases);
    this.apply(restored.effects);
  }

  /** Starts the analysis tick (and the served journal), and the first generation unless one was resumed. */
  start(): void {
    const { target, scheduler } = this.deps;
    this.ticker = interval(target.policy.analysisEveryMs, scheduler).subscribe(() => this.tick());
    if (this.deps.journaling) this.ticker.add(this.evidence.journalEvery(scheduler));
    this.dispatch({ kind: "start", now: this.deps.clock.now() });
  }

  /** Stops ticking, saves the live experiment's checkpoint (so a restart resumes it), waits for the writes. */
  async stop(): Promise<void> {
    this.ticker?.unsubscribe();
    this.ticker = null;
    this.evidence.flushJournal(Infinity);
    this.evidence.checkpoint(this.state);
    await this.flush(STOP_FLUSH_MS);
  }

  /** Waits until every decision so far is durable; rejects (code store_unavailable) after `timeoutMs`. */
  async flush(timeoutMs = FLUSH_MS): Promise<void> {
    await this.writes.flush(timeoutMs);
  }

  /** One analysis tick. Public so tests can tick by hand. */
  tick(): void {
    // A decision that cannot be made durable must not be made: wait for the store (it is retried).
    if (this.writes.error) return;
    const now = this.deps.clock.now();
    const observer = this.deps.observer;
    const started = observer?.now() ?? 0;
    const live = this.state.kind === "live";
    this.dispatch({ kind: "tick", now, snapshot: this.state.kind === "live" ? this.evidence.snapshot(now, this.state.experiment) : null });
    if (live) observer?.analysis(this.deps.target.name, observer.now() - started);
  }

  /** Kill switch on: a live experiment ends now and no generation starts until resume(). */
  async kill(reason: string, cause: KillCause = "kill_switch"): Promise<void> {
    this.dispatch({ kind: "kill", now: this.deps.clock.now(), cause, reason });
    await this.flush();
  }

  /** Pauses the live experiment: every unit gets the baseline; arms, units and statistics are kept. */
  async pause(reason: string): Promise<void> {
    if (this.writes.error) throw unavailable(this.deps.target.name, this.writes.error);
    const refused = this.dispatch({ kind: "pause", now: this.deps.clock.now(), reason });
    if (refused) throw Object.assign(new Error(refused.message), { code: refused.code });
    await this.flush();
  }

  /** Clears an operator's pause (the same experiment goes on), or the kill switch (the next generation starts now). */
  async resume(): Promise<void> {
    if (this.state.kind !== "idle" && this.writes.error) throw unavailable(this.deps.target.name, this.writes.error);
    this.dispatch({ kind: "resume", now: this.deps.clock.now() });
    await this.flush();
  }

  /** Makes any version this target has seen the baseline (see lifecycle/step.ts). */
  async rollbackTo(id: VersionId, reason: string, segment?: string): Promise<Result<Version, Problem>> {
    if (this.writes.error) return err(problem("store_unavailable", `the history of "${this.deps.target.name}" cannot be written now: ${this.writes.error.message}`));
    const refused = this.dispatch({ kind: "rollback", now: this.deps.clock.now(), version: id, reason, ...(segment === undefined ? {} : { segment }) });
    if (refused) return err(refused);
    await this.flush();
    return ok(segment === undefined ? this.state.baseline : (this.state.segmentBaselines.get(segment) ?? this.state.baseline));
  }

  /** The segments that serve their own baseline (per-segment baselines). */
  get segmentBaselines(): ReadonlyMap<string, Version> {
    return this.state.segmentBaselines;
  }

  /** Keeps an operator's candidate as a draft (see lifecycle/draft.ts). */
  async draft(change: ConfigValues, note: string, share?: number): Promise<Result<Version, Problem>> {
    if (this.writes.error) return err(problem("store_unavailable", `the history of "${this.deps.target.name}" cannot be written now: ${this.writes.error.message}`));
    const drafted = this.step({ kind: "draft", now: this.deps.clock.now(), change, note, ...(share === undefined ? {} : { share }) });
    if (drafted.refused) return err(drafted.refused);
    await this.flush();
    return ok(this.state.versions.get(draftedVersion(drafted.effects)) as Version);
  }

  /** Operators' drafts waiting for the next generation. */
  get drafts(): readonly VersionId[] {
    return this.state.drafts;
  }
  get shares(): ReadonlyMap<VersionId, number> {
    return this.state.shares;
  }

  /** The live experiment's checkpoint as the runtime writes it, or null (scale-out shares its structure). */
  checkpointState(): string | null {
    return this.evidence.checkpointText(this.state);
  }

  /** Steps the lifecycle and applies what it asks; returns the refusal, if any. */
  private dispatch(input: Input): Problem | undefined {
    return this.step(input).refused;
  }

  private step(input: Input): Step {
    const next = step(this.state, input, this.ctx);
    this.state = next.state;
    this.apply(next.effects);
    return next;
  }

  private apply(effects: readonly Effect[]): void {
    const { target, log, observer } = this.deps;
    for (const effect of effects) {
      switch (effect.kind) {
        case "append":
          this.writes.append(effect.entries);
          break;
        case "propose":
          // Embedded, a due generation is proposed at once, on this process.
          this.dispatch({ kind: "propose", now: this.deps.clock.now(), generation: effect.generation });
          break;
        case "checkpoint":
          if (this.deps.journaling) this.evidence.checkpoint(this.state);
          break;
        case "log":
          log[effect.level](effect.fields, effect.message);
          break;
        case "count":
          observer?.decision(target.name, effect.decision, effect.cause);
          break;
        default:
          this.evidence.apply(effect);
      }
    }
  }
}

/** The version a draft step recorded (its history entry), whether or not a generation took it at once. */
export function draftedVersion(effects: readonly Effect[]): VersionId {
  for (const e of effects) if (e.kind === "append") for (const entry of e.entries) if (entry.kind === "draft") return entry.version;
  return "";
}

function unavailable(target: string, cause: Error): Error {
  return Object.assign(new Error(`the history of "${target}" cannot be written now: ${cause.message}`), { code: "store_unavailable" });
}
