import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { asyncScheduler, interval, lastValueFrom, timer } from "rxjs";
import type { BanditEngine } from "../bandit/posterior.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../domain/logger.js";
import { secretFree } from "../domain/redact.js";
import type { Target } from "../domain/target.js";
import { BullJobs } from "../jobs/bull-jobs.js";
import type { RuntimeObserver } from "../runtime/ports.js";
import type { Screener } from "../domain/ports.js";
import { RedisStats } from "../store/redis-stats.js";
import { RedisStore } from "../store/redis-store.js";
import type { ExperimentRouter } from "../stream/router.js";
import { Decider } from "./decider.js";
import { Replica } from "./replica.js";
import { SharedState } from "./shared-state.js";
import { SharedTarget } from "./shared-target.js";

/** `evolvd start --redis` could not reach Redis: an operator's error, not a bug. */
export class RedisUnreachable extends Error {}

const CONNECT_RETRY_MS = 250;

export interface ScaleOutOptions {
  readonly url: string;
  /** Namespace of every key, queue and channel: one per deployment. */
  readonly prefix: string;
  readonly flushMs: number;
  readonly syncMs: number;
  readonly maxUnflushed: number;
  readonly lockMs: number;
  readonly connectTimeoutMs: number;
  readonly pauseBeforeCommitMs: number;
  readonly log: Logger;
}

export interface TargetWiring {
  readonly router: ExperimentRouter;
  readonly bandit: BanditEngine;
  readonly clock: Clock;
  readonly observer?: RuntimeObserver;
  readonly onDropped?: (target: string, count: number) => void;
}

/**
 * The scale-out side of the daemon: the Redis connections, the shared state, the merged
 * statistics, the bull queues and the pub/sub listener, and a SharedTarget per target.
 * Commands fail fast while Redis is unreachable (no offline queue), so the transaction path
 * never waits on Redis: it serves from each replica's memory.
 */
export class ScaleOut {
  readonly store: RedisStore;
  readonly state: SharedState;
  readonly stats: RedisStats;
  private readonly jobs: BullJobs;
  private readonly health = new Map<string, boolean>();
  private readonly instance = randomUUID();
  private errorsLogged = 0;

  private constructor(
    private readonly options: ScaleOutOptions,
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
    this.store = new RedisStore(redis, options.prefix);
    this.state = new SharedState(redis, options.prefix);
    this.stats = new RedisStats(redis, options.prefix);
    this.jobs = new BullJobs(options.url, { prefix: options.prefix, lockMs: options.lockMs, onError: (error) => this.connectionError("bull", error) });
  }

  /**
   * Connects, retrying for up to `connectTimeoutMs` (Redis may still be starting next to us),
   * or throws RedisUnreachable naming the URL (password hidden) and the last error.
   */
  static async connect(options: ScaleOutOptions): Promise<ScaleOut> {
    // One deadline for both connections (a monotonic clock: this is about elapsed time only).
    const deadline = performance.now() + options.connectTimeoutMs;
    const connect = async (role: string) => {
      let lastError: Error | null = null;
      for (let attempt = 1; ; attempt++) {
        const remaining = Math.max(1, Math.round(deadline - performance.now()));
        // No retries while connecting (each attempt is ours, below); once up, reconnect forever.
        const client = new Redis(options.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: remaining, retryStrategy: () => null });
        client.on("error", (error: Error) => (lastError = error)); // later: reported through readiness and callers
        try {
          await client.connect();
          client.options.retryStrategy = (n: number) => Math.min(100 * n, 1000);
          return client;
        } catch (error) {
          client.disconnect();
          lastError ??= error as Error;
          if (performance.now() + CONNECT_RETRY_MS >= deadline) {
            throw new RedisUnreachable(`redis: cannot reach ${redacted(options.url)} (${role} connection, ${attempt} attempts in ${options.connectTimeoutMs} ms): ${secretFree((lastError as Error).message)}`);
          }
          await lastValueFrom(timer(CONNECT_RETRY_MS));
        }
      }
    };
    const redis = await connect("commands");
    const subscriber = await connect("subscriber").catch((error: Error) => {
      redis.disconnect();
      throw error;
    });
    return new ScaleOut(options, redis, subscriber);
  }

  get prefix(): string {
    return this.options.prefix;
  }

  get url(): string {
    return redacted(this.options.url);
  }

  /** Ready while Redis answers and every target's last flush and reload succeeded. */
  get ready(): boolean {
    return this.redis.status === "ready" && [...this.health.values()].every(Boolean);
  }

  createTarget(target: Target, screen: Screener, wiring: TargetWiring): SharedTarget {
    const { log } = this.options;
    const replica = new Replica({
      target,
      state: this.state,
      stats: this.stats,
      router: wiring.router,
      log,
      instance: this.instance,
      maxUnflushed: this.options.maxUnflushed,
      ...(wiring.onDropped ? { onDropped: (n: number) => wiring.onDropped?.(target.name, n) } : {}),
    });
    const decider = new Decider({
      target,
      state: this.state,
      stats: this.stats,
      screen,
      bandit: wiring.bandit,
      clock: wiring.clock,
      log,
      pauseBeforeCommitMs: this.options.pauseBeforeCommitMs,
      ...(wiring.observer ? { observer: wiring.observer } : {}),
    });
    return new SharedTarget({
      target,
      replica,
      decider,
      state: this.state,
      requestScreening: (name, generation) => this.jobs.requestScreening(name, generation),
      scheduleTicks: (name, everyMs) => this.jobs.schedule(name, everyMs),
      log,
      clock: wiring.clock,
      every: (ms, run) => {
        const subscription = interval(ms, asyncScheduler).subscribe(run);
        return () => subscription.unsubscribe();
      },
      flushMs: this.options.flushMs,
      syncMs: this.options.syncMs,
      onHealth: (name, healthy) => this.health.set(name, healthy),
    });
  }

  /** Forgets a target's health (its file was removed or replaced). */
  forget(target: string): void {
    this.health.delete(target);
  }

  /**
   * Starts listening: published changes reload the target at once, and this instance's workers
   * take ticks and screening jobs. `lookup` finds the target this instance runs (a job for a
   * target it does not run is done by doing nothing; another instance ticks it).
   */
  async listen(lookup: (target: string) => SharedTarget | undefined): Promise<void> {
    const { log } = this.options;
    this.subscriber.on("message", (_channel: string, target: string) => {
      void lookup(target)?.sync().catch((error: Error) => log.warn({ target, error: error.message }, "reload after a change message failed; the timer retries"));
    });
    await this.subscriber.subscribe(this.state.channel);
    this.jobs.process(async (target, job) => {
      const shared = lookup(target);
      if (!shared) return;
      log.debug({ target, job: job.id, attempt: job.attempt }, "analysis tick");
      if (!(await shared.tick())) log.debug({ target, job: job.id }, "analysis tick skipped: the last analysis is under half an interval old");
    });
    this.jobs.processScreening(async (target, generation, job) => {
      const shared = lookup(target);
      if (!shared) throw new Error(`target "${target}" is not loaded on this instance`); // retried, maybe elsewhere
      log.debug({ target, generation, job: job.id, attempt: job.attempt }, "screening job");
      await shared.screen(generation);
    });
  }

  async unschedule(target: Target): Promise<void> {
    await this.jobs.unschedule(target.name, target.policy.analysisEveryMs);
  }

  /** Closes queues and connections; with Redis unreachable it gives up after `graceMs` and disconnects. */
  async close(graceMs = 2000): Promise<void> {
    const closing = (async () => {
      await this.jobs.close().catch(() => undefined);
      for (const client of [this.subscriber, this.redis]) await client.quit().catch(() => client.disconnect());
    })();
    const gaveUp = await Promise.race([closing.then(() => false), lastValueFrom(timer(graceMs)).then(() => true)]);
    if (gaveUp) {
      this.options.log.warn({ graceMs }, "redis connections did not close in time; disconnecting");
      this.jobs.disconnect();
      for (const client of [this.subscriber, this.redis]) client.disconnect();
    }
  }

  /** bull's connections retry by themselves; one log line per 100 errors keeps an outage readable. */
  private connectionError(source: string, error: Error): void {
    if (this.errorsLogged++ % 100 === 0) this.options.log.warn({ source, error: error.message, seen: this.errorsLogged }, "redis connection error");
  }
}

/** The URL without its password, for logs and errors. */
export function redacted(url: string): string {
  return secretFree(url, Infinity);
}
