import { asyncScheduler, lastValueFrom, timer } from "rxjs";
import type { BanditEngine } from "../bandit/posterior.js";
import type { Clock } from "../domain/clock.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Logger } from "../domain/logger.js";
import type { Target } from "../domain/target.js";
import { Optimizer, type OptimizerObserver } from "../loop/optimizer.js";
import { seededRng } from "../random/seeded-rng.js";
import type { Screener } from "../sim/screening.js";
import type { HistoryStore } from "../store/ports.js";
import type { RedisStats } from "../store/redis-stats.js";
import { ExperimentRouter } from "../stream/router.js";
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
  readonly observer?: OptimizerObserver;
  /**
   * Fault injection for drills and tests: wait this long between making a decision and
   * committing it, the window in which a crash must not leave half a decision behind.
   */
  readonly pauseBeforeCommitMs?: number;
}

/** How often a decision is made again after another instance's decision came first. */
const MAX_ATTEMPTS = 8;

/**
 * Makes one decision for a target in scale-out, on whichever instance bull handed the job to.
 * It rebuilds the target's optimizer from the shared state (history, allocation, kill switch,
 * breaker trips) with every instance's merged statistics, lets it act once, and commits what
 * it wrote — history batches, the new allocation, the status record — in one Lua check-and-set
 * against the revision it read. A decision made on stale state is thrown away and made again;
 * a crash before the commit leaves nothing; a retried job re-reads, so it cannot commit twice.
 */
export class Decider {
  constructor(private readonly deps: DeciderDeps) {}

  async run<T>(label: string, action: (optimizer: Optimizer) => T): Promise<{ result: T; optimizer: Optimizer }> {
    const { target, state, stats, log } = this.deps;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const read = await state.read(target.name);
      const stored = parseCheckpoint(read.checkpoint);
      const merged = stored ? JSON.stringify(withMergedStats(stored, await stats.read(stored.id))) : read.checkpoint;
      const store = new StagedStore(read.history, merged);
      const told = new DeferredObserver();
      const said = new DeferredLog(log);
      const optimizer = new Optimizer({
        target,
        store,
        clock: this.deps.clock,
        scheduler: asyncScheduler,
        rng: seededRng(target.policy.seed),
        router: new ExperimentRouter(), // a private one: traffic follows the replicas, after the commit
        screen: this.deps.screen,
        bandit: this.deps.bandit,
        log: said,
        ...(this.deps.observer ? { observer: told.over(this.deps.observer) } : {}),
        checkpointEveryTick: false,
        deferGenerations: true,
      });
      await optimizer.restore();
      if (read.kill !== null && !optimizer.killed) optimizer.kill(read.kill);
      if (read.trips.length > 0) optimizer.experiment?.addTrips(read.trips);
      const result = action(optimizer);
      await optimizer.flush();
      const next = optimizer.checkpointState();
      const allocation = next === null ? null : JSON.stringify(structureOf(JSON.parse(next) as SharedCheckpoint));
      const allocationChanged = allocation !== read.checkpoint;
      // A tick always leaves its analysis for the status views; other actions only with news.
      const record = label === "tick" || store.appended.length > 0 || allocationChanged ? optimizer.generations[optimizer.generations.length - 1] : undefined;
      if (store.appended.length === 0 && !allocationChanged && !record && read.trips.length === 0) {
        said.replay();
        return { result, optimizer };
      }
      const pause = this.deps.pauseBeforeCommitMs ?? 0;
      if (pause > 0) {
        log.warn({ target: target.name, decision: label, revision: read.revision, entries: store.appended.flat().map((e) => e.kind), pauseMs: pause }, "decision made; pausing before commit (fault injection)");
        await lastValueFrom(timer(pause));
      }
      const committed = await state.commit(target.name, read.revision, {
        batches: store.appended,
        ...(allocationChanged ? { checkpoint: allocation } : {}),
        ...(record ? { record: JSON.stringify(record) } : {}),
        tripsConsumed: read.trips.length,
      });
      if (committed) {
        said.replay();
        told.replay();
        if (stored && stored.id !== optimizer.experiment?.id) await stats.retire(stored.id);
        return { result, optimizer };
      }
      log.info({ target: target.name, decision: label, revision: read.revision, attempt }, "another instance decided first; deciding again on the new state");
    }
    throw new Error(`${label} of "${target.name}": the shared state kept changing under ${MAX_ATTEMPTS} attempts`);
  }
}

function parseCheckpoint(text: string | null): SharedCheckpoint | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as SharedCheckpoint;
  } catch {
    return null; // resume() reports the same text as unusable and closes the experiment
  }
}

/**
 * The optimizer's store during one decision: reads the shared history as it was read, collects
 * what the decision appends (committed together, or not at all). Checkpoints are taken from the
 * optimizer after the decision instead.
 */
class StagedStore implements HistoryStore {
  readonly appended: HistoryEntry[][] = [];
  constructor(
    private readonly history: readonly HistoryEntry[],
    private readonly checkpoint: string | null,
  ) {}
  async append(_target: string, entries: readonly HistoryEntry[]): Promise<void> {
    this.appended.push([...entries]);
  }
  async read(): Promise<HistoryEntry[]> {
    return [...this.history, ...this.appended.flat()];
  }
  async targets(): Promise<string[]> {
    return [];
  }
  async saveCheckpoint(): Promise<void> {}
  // Who was served what is merged in Redis in scale-out (RedisStats), never journaled here.
  async appendServed(): Promise<void> {}
  async loadServed(): Promise<string> {
    return "";
  }
  async loadCheckpoint(): Promise<string | null> {
    return this.checkpoint;
  }
}

/**
 * Holds the optimizer's log lines until its decision is committed: a decision thrown away for
 * a newer state must not log "experiment committed". Debug lines pass at once.
 */
class DeferredLog implements Logger {
  private lines: [keyof Omit<Logger, "debug">, Record<string, unknown>, string][] = [];
  constructor(private readonly log: Logger) {}
  debug(fields: Record<string, unknown>, message: string): void {
    this.log.debug(fields, message);
  }
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push(["info", fields, message]);
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push(["warn", fields, message]);
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push(["error", fields, message]);
  }
  replay(): void {
    for (const [level, fields, message] of this.lines) this.log[level](fields, message);
    this.lines = [];
  }
}

/** Holds decision and tick metrics until the decision is committed, so a retry counts once. */
class DeferredObserver {
  private calls: ((observer: OptimizerObserver) => void)[] = [];
  private target: OptimizerObserver | null = null;
  over(observer: OptimizerObserver): OptimizerObserver {
    this.target = observer;
    return {
      decision: (...args) => void this.calls.push((o) => o.decision(...args)),
      analysis: (...args) => void this.calls.push((o) => o.analysis(...args)),
      now: () => observer.now(),
    };
  }
  replay(): void {
    const target = this.target;
    if (target) for (const call of this.calls) call(target);
    this.calls = [];
  }
}
