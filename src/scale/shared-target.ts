import type { Clock } from "../domain/clock.js";
import type { Logger } from "../domain/logger.js";
import { err, ok, type Problem, type Result } from "../domain/result.js";
import type { Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import type { Version, VersionId } from "../domain/version.js";
import type { KillCause } from "../lifecycle/inputs.js";
import type { GenerationRecord } from "../lifecycle/records.js";
import type { ExperimentView, TargetControl } from "../runtime/ports.js";
import { draftedVersion } from "../runtime/target-runtime.js";
import type { Decider, DecisionOf } from "./decider.js";
import type { Replica } from "./replica.js";

export interface SharedTargetDeps {
  readonly target: Target;
  readonly replica: Replica;
  readonly decider: Decider;
  readonly state: { setKill(target: string, reason: string | null): Promise<void> };
  /** Asks any instance's screening worker to propose and screen this generation (once). */
  readonly requestScreening: (target: string, generation: number) => Promise<void>;
  /** Keeps the target's repeatable analysis tick scheduled (idempotent; heals a broken chain). */
  readonly scheduleTicks: (target: string, everyMs: number) => Promise<void>;
  readonly log: Logger;
  readonly clock: Clock;
  /** Starts a repeating timer; returns its stop function (injected: no bare timers in here). */
  readonly every: (ms: number, run: () => void) => () => void;
  readonly flushMs: number;
  readonly syncMs: number;
  /** Told whether the last flush and sync reached Redis (readiness). */
  readonly onHealth?: (target: string, healthy: boolean) => void;
}

/**
 * A target in scale-out: evaluations and events are served by this instance's replica from
 * memory; decisions (ticks, screening, kill, resume, rollback) go through the Decider, which
 * runs the lifecycle step and commits its effects to the shared state, and every instance's
 * replica follows. A generation the step says is due is proposed by a screening job.
 */
export class SharedTarget implements TargetControl {
  private stops: (() => void)[] = [];
  private healthy = true;
  /** A kill switch change Redis has not taken yet (Redis was down): pushed again by heal(). */
  private pendingKill: { readonly reason: string | null } | null = null;
  /** bull queues commands while Redis is down: one scheduling call in flight, not one per timer. */
  private scheduling = false;

  constructor(private readonly deps: SharedTargetDeps) {}

  get baseline(): Version {
    return this.deps.replica.baseline;
  }
  get experiment(): ExperimentView | null {
    return this.deps.replica.view;
  }
  get killed(): boolean {
    return this.deps.replica.killed;
  }
  /** Redis outages are reported by ScaleOut.ready; decisions fail and are retried there. */
  get storeError(): Error | null {
    return null;
  }
  get generations(): readonly GenerationRecord[] {
    const record = this.deps.replica.record;
    return record ? [record] : [];
  }

  /** Records the initial baseline if no instance has (or checks the stored one), then loads. */
  async restore(): Promise<void> {
    await this.deps.decider.run("restore", () => null);
    await this.deps.replica.sync(true);
  }

  start(): void {
    const { flushMs, syncMs, every, target, log } = this.deps;
    this.stops.push(every(flushMs, () => void this.flushQuietly()));
    this.stops.push(every(syncMs, () => void this.heal()));
    void this.heal();
    // No experiment live and none held (a kill file may have killed it since restore): ask for one.
    void this.decide("start", (_state, _snapshot, now) => ({ kind: "start", now })).catch((error: Error) => log.error({ target: target.name, error: error.message }, "could not request the first generation"));
  }

  async stop(): Promise<void> {
    for (const stop of this.stops) stop();
    this.stops = [];
    await this.flush().catch((error: Error) => this.deps.log.error({ target: this.deps.target.name, error: error.message, unflushed: this.deps.replica.unflushed }, "statistics not flushed at stop"));
  }

  /** Statistics entries held back on this instance (Redis unreachable). */
  get unflushed(): number {
    return this.deps.replica.unflushed;
  }

  async flush(): Promise<void> {
    await this.deps.replica.flush();
  }

  /**
   * The analysis tick bull handed to this instance. Ticks that queued up while workers were
   * busy or down arrive in a burst; one analysis per half interval is kept, so a backlog cannot
   * ramp a canary through its steps without new data in between.
   */
  async tick(): Promise<boolean> {
    const last = this.deps.replica.record?.lastSnapshot?.at;
    if (last !== undefined && this.deps.clock.now() - last < this.deps.target.policy.analysisEveryMs / 2) return false;
    await this.flushQuietly();
    await this.decide("tick", (_state, snapshot, now) => ({ kind: "tick", now, snapshot: snapshot() }));
    return true;
  }

  /** The screening job of `generation` bull handed to this instance; a stale request changes nothing. */
  async screen(generation: number): Promise<void> {
    await this.decide(`screening g${generation}`, (_state, _snapshot, now) => ({ kind: "propose", now, generation }));
  }

  async sync(): Promise<void> {
    await this.deps.replica.sync();
  }

  /**
   * This instance stops serving the experiment at once — Redis being down must not delay a
   * kill — then the shared switch stops every other instance. If Redis cannot take it now, the
   * error says so and heal() keeps pushing it until it can.
   */
  async kill(reason: string, _cause?: KillCause): Promise<void> {
    this.deps.replica.killLocally(reason);
    this.pendingKill = { reason };
    await this.pushKill();
  }

  /** Pauses the live experiment on every instance: a decision, so it reaches the replicas with their next reload. */
  async pause(reason: string): Promise<void> {
    const decided = await this.decide("pause", (_state, _snapshot, now) => ({ kind: "pause", now, reason }));
    if (decided.refused) throw Object.assign(new Error(decided.refused.message), { code: decided.refused.code });
  }

  /** Clears an operator's pause, or turns the shared kill switch off. */
  async resume(): Promise<void> {
    if (this.deps.replica.killed) {
      this.pendingKill = { reason: null };
      await this.pushKill();
    } else await this.decide("resume", (_state, _snapshot, now) => ({ kind: "resume", now }));
  }

  private async pushKill(): Promise<void> {
    const pending = this.pendingKill;
    if (!pending) return;
    await this.deps.state.setKill(this.deps.target.name, pending.reason);
    if (this.pendingKill === pending) this.pendingKill = null;
    this.deps.replica.confirmKill();
    // The kill switch is in the shared state, which every decision reads: a kill is recorded by
    // this one; with the switch off, the target is idle again and its next generation is due.
    await this.decide(pending.reason === null ? "resume" : "kill", (_state, _snapshot, now) => (pending.reason === null ? { kind: "start", now } : null));
  }

  /** Keeps an operator's candidate as a draft in the shared history (see lifecycle/draft.ts). */
  async draft(change: ConfigValues, note: string, share?: number): Promise<Result<Version, Problem>> {
    const decided = await this.deps.decider.run("draft", (_state, _snapshot, now) => ({ kind: "draft", now, change, note, ...(share === undefined ? {} : { share }) }));
    await this.deps.replica.sync();
    if (decided.refused) return err(decided.refused);
    if (decided.propose !== null) await this.deps.requestScreening(this.deps.target.name, decided.propose);
    return ok(decided.state.versions.get(draftedVersion(decided.effects)) as Version);
  }

  get drafts(): readonly VersionId[] {
    return this.deps.replica.drafts;
  }

  async rollbackTo(id: VersionId, reason: string, segment?: string): Promise<Result<Version, Problem>> {
    const decided = await this.decide("rollback", (_state, _snapshot, now) => ({ kind: "rollback", now, version: id, reason, ...(segment === undefined ? {} : { segment }) }));
    return decided.refused ? err(decided.refused) : ok(segment === undefined ? decided.baseline : (decided.segmentBaselines.get(segment) ?? decided.baseline));
  }

  get segmentBaselines(): ReadonlyMap<string, Version> {
    return this.deps.replica.segmentBaselines;
  }

  /** Runs a decision, reloads this replica, and asks for the generation it says is due. */
  private async decide(label: string, decision: DecisionOf): Promise<{ refused?: Problem; baseline: Version; segmentBaselines: ReadonlyMap<string, Version> }> {
    const decided = await this.deps.decider.run(label, decision);
    await this.deps.replica.sync();
    if (decided.propose !== null) await this.deps.requestScreening(this.deps.target.name, decided.propose);
    return { ...(decided.refused ? { refused: decided.refused } : {}), baseline: decided.state.baseline, segmentBaselines: decided.state.segmentBaselines };
  }

  private async flushQuietly(): Promise<void> {
    try {
      await this.deps.replica.flush();
      this.setHealth(true);
    } catch (error) {
      this.setHealth(false, error as Error, "statistics flush failed; holding them back");
    }
  }

  /** Re-reads the shared state (a missed message heals here) and keeps the tick scheduled. */
  private async heal(): Promise<void> {
    const { target } = this.deps;
    try {
      await this.pushKill();
      await this.deps.replica.sync();
      this.setHealth(true);
      if (!this.scheduling) {
        this.scheduling = true;
        void this.deps
          .scheduleTicks(target.name, target.policy.analysisEveryMs)
          .catch((error: Error) => this.deps.log.warn({ target: target.name, error: error.message }, "analysis tick not scheduled; retried at the next re-read"))
          .finally(() => (this.scheduling = false));
      }
    } catch (error) {
      this.setHealth(false, error as Error, "shared state unreachable; serving the last known allocation");
    }
  }

  private setHealth(healthy: boolean, error?: Error, message?: string): void {
    if (healthy !== this.healthy) {
      if (healthy) this.deps.log.info({ target: this.deps.target.name, unflushed: this.deps.replica.unflushed }, "shared state reachable again");
      else this.deps.log.error({ target: this.deps.target.name, error: error?.message, unflushed: this.deps.replica.unflushed }, message ?? "shared state unreachable");
    }
    this.healthy = healthy;
    this.deps.onHealth?.(this.deps.target.name, healthy);
  }
}
