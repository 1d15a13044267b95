import type { Redis } from "ioredis";
import type { HistoryEntry } from "../domain/history.js";
import type { BreakerTrip } from "../domain/snapshot.js";
import { parseBatches } from "../store/batches.js";
import { targetKey } from "../store/redis-store.js";

/**
 * commitState-1 (Lua): applies one decision of a target atomically, if nobody decided since it
 * was read. KEYS: history, checkpoint, revision, record, targets, trips.
 * ARGV: expected revision, target, channel, checkpoint mode (keep|set|del), checkpoint,
 *       record mode (keep|set), record, trips consumed, batch…
 * Returns the new revision, or -1 when the revision moved (the caller re-reads and decides again).
 */
const COMMIT = `
local current = tonumber(redis.call('GET', KEYS[3]) or '0')
if current ~= tonumber(ARGV[1]) then return -1 end
for i = 9, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
if #ARGV >= 9 then redis.call('SADD', KEYS[5], ARGV[2]) end
if ARGV[4] == 'set' then redis.call('SET', KEYS[2], ARGV[5]) elseif ARGV[4] == 'del' then redis.call('DEL', KEYS[2]) end
if ARGV[6] == 'set' then redis.call('SET', KEYS[4], ARGV[7]) end
local consumed = tonumber(ARGV[8])
if consumed > 0 then redis.call('LTRIM', KEYS[6], consumed, -1) end
local revision = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return revision
`;

/** What one read of a target's shared state returns. */
export interface SharedRead {
  /** Bumped by every change; decisions are applied only against the revision they read. */
  readonly revision: number;
  /** History entries from the requested index on (all of them by default). */
  readonly history: HistoryEntry[];
  /** Length of the whole history, in batches (the next read's `fromBatch`). */
  readonly batches: number;
  readonly checkpoint: string | null;
  /** The kill switch's reason, or null when off. */
  readonly kill: string | null;
  /** The deciding instance's last generation record (JSON), for status views everywhere. */
  readonly record: string | null;
  /** Breaker trips instances reported since the last decision. */
  readonly trips: BreakerTrip[];
}

export interface SharedCommit {
  readonly batches: readonly (readonly HistoryEntry[])[];
  /** undefined keeps the checkpoint; null removes it. */
  readonly checkpoint?: string | null;
  readonly record?: string;
  /** How many reported trips the decision took into account (they are removed). */
  readonly tripsConsumed?: number;
}

/**
 * The state every instance of a scale-out deployment shares for a target, in Redis: the history
 * (the same keys as RedisStore), the live experiment's allocation, the kill switch and a revision
 * counter. Every change bumps the revision and is published on `<prefix>:changes` (the message
 * is the target's name), so instances reload at once; they also poll the revision on a timer,
 * which heals a missed message.
 */
export class SharedState {
  readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = "evolvd",
  ) {
    this.channel = `${prefix}:changes`;
  }

  async revision(target: string): Promise<number> {
    return Number((await this.redis.get(this.key(target, "revision"))) ?? 0);
  }

  /** One consistent read (a MULTI) of a target's state; history from batch `fromBatch` on. */
  async read(target: string, fromBatch = 0): Promise<SharedRead> {
    const results = await this.redis
      .multi()
      .get(this.key(target, "revision"))
      .lrange(this.key(target, "history"), fromBatch, -1)
      .llen(this.key(target, "history"))
      .get(this.key(target, "checkpoint"))
      .get(this.key(target, "kill"))
      .get(this.key(target, "record"))
      .lrange(this.key(target, "trips"), 0, -1)
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw new Error(`reading the shared state of "${target}" failed: ${failed?.[0]?.message ?? "transaction aborted"}`);
    const [revision, history, batches, checkpoint, kill, record, trips] = results.map(([, value]) => value) as [string | null, string[], number, string | null, string | null, string | null, string[]];
    return {
      revision: Number(revision ?? 0),
      history: parseBatches(history, target, "batch", fromBatch),
      batches,
      checkpoint,
      kill,
      record,
      trips: trips.flatMap((t) => {
        try {
          return [JSON.parse(t) as BreakerTrip];
        } catch {
          return []; // a garbled report is dropped; the breaker trips again if the arm is still bad
        }
      }),
    };
  }

  /** Applies a decision made on `revision`; false when another decision came first. */
  async commit(target: string, revision: number, change: SharedCommit): Promise<boolean> {
    const checkpointMode = change.checkpoint === undefined ? "keep" : change.checkpoint === null ? "del" : "set";
    const keys = [this.key(target, "history"), this.key(target, "checkpoint"), this.key(target, "revision"), this.key(target, "record"), `${this.prefix}:targets`, this.key(target, "trips")];
    const args = [String(revision), target, this.channel, checkpointMode, change.checkpoint ?? "", change.record === undefined ? "keep" : "set", change.record ?? "", String(change.tripsConsumed ?? 0), ...change.batches.filter((b) => b.length > 0).map((b) => JSON.stringify(b))];
    const result = (await this.redis.eval(COMMIT, keys.length, ...keys, ...args)) as number;
    return result >= 0;
  }

  /** Turns the shared kill switch on (with its reason) or off, and tells every instance. */
  async setKill(target: string, reason: string | null): Promise<void> {
    const tx = this.redis.multi();
    if (reason === null) tx.del(this.key(target, "kill"));
    else tx.set(this.key(target, "kill"), reason);
    const results = await tx.incr(this.key(target, "revision")).publish(this.channel, target).exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw new Error(`kill switch of "${target}" not stored: ${failed?.[0]?.message ?? "transaction aborted"}`);
  }

  /** A breaker trip seen on this instance, for the next decision (the arm is already out here). */
  async reportTrips(target: string, trips: readonly BreakerTrip[]): Promise<void> {
    if (trips.length === 0) return;
    await this.redis.rpush(this.key(target, "trips"), ...trips.map((t) => JSON.stringify(t)));
  }

  private key(target: string, part: Parameters<typeof targetKey>[2]): string {
    return targetKey(this.prefix, target, part);
  }
}
