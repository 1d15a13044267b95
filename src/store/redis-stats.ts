import type { Redis } from "ioredis";
import type { Moments } from "../domain/snapshot.js";
import type { StatsDelta } from "../domain/snapshot.js";

/**
 * recordExposures-2 (Lua): counts distinct units across instances.
 *   KEYS[1] served hash  unit → bit mask of arms served (bit i = arm i)
 *   KEYS[2] stats hash   p<rev>:a<arm>:new (units first exposed in that period), a<arm>:units
 *   ARGV    revision, arm, unit, revision, arm, unit, …
 * Returns the number of units seen for the first time.
 */
const RECORD_EXPOSURES = `
local fresh = 0
for i = 1, #ARGV, 3 do
  local revision, arm, unit = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local bit = 2 ^ arm
  local mask = tonumber(redis.call('HGET', KEYS[1], unit) or '-1')
  if mask < 0 then
    redis.call('HSET', KEYS[1], unit, bit)
    redis.call('HINCRBY', KEYS[2], 'p' .. revision .. ':a' .. arm .. ':new', 1)
    redis.call('HINCRBY', KEYS[2], 'a' .. arm .. ':units', 1)
    fresh = fresh + 1
  elseif math.floor(mask / bit) % 2 == 0 then
    redis.call('HSET', KEYS[1], unit, mask + bit)
    redis.call('HINCRBY', KEYS[2], 'a' .. arm .. ':units', 1)
  end
end
return fresh
`;

/**
 * addMoments-1 (Lua): adds KPI sums once per flush token, so a flush retried after a lost reply
 * (the connection dropped after Redis applied it) is not counted twice.
 *   KEYS[1] stats hash, KEYS[2] the token's key (kept a day)
 *   ARGV    token ('' for none), then field, n, sum, sum of squares, field, …
 */
const ADD_MOMENTS = `
if ARGV[1] ~= '' and not redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) then return 0 end
for i = 2, #ARGV, 4 do
  redis.call('HINCRBY', KEYS[1], ARGV[i] .. ':n', ARGV[i + 1])
  redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i] .. ':sum', ARGV[i + 2])
  redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i] .. ':sq', ARGV[i + 3])
end
return 1
`;

/** Statistics of one experiment as merged from every instance. */
export interface MergedStats {
  /** Per period revision, per arm, per KPI. */
  readonly kpis: ReadonlyMap<number, ReadonlyMap<number, Readonly<Record<string, Moments>>>>;
  /** Per period revision, per arm: units first exposed in that period. */
  readonly newUnits: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** Per arm: distinct units served. */
  readonly units: ReadonlyMap<number, number>;
}

/** Exposures per Lua call: bounds how long one script holds Redis. */
const EXPOSURE_BATCH = 1000;

/**
 * Per-arm, per-period sufficient statistics merged in Redis. Each instance drains its
 * experiment's deltas and flushes them here: KPI sums through a Lua script, once per flush token (sums
 * merge by addition, in any order), exposures through a Lua script that counts a unit once
 * however many instances saw it. Keys: <prefix>:x:{<experiment>}:stats and …:served.
 */
export class RedisStats {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "evolvd",
  ) {}

  /**
   * Adds an instance's deltas. `token` names this flush (unique per instance and batch): with it,
   * retrying the same batch after an error never counts its sums twice. Exposures are idempotent
   * by themselves (a unit counts once).
   */
  async flush(experiment: string, delta: StatsDelta, token = ""): Promise<void> {
    const stats = this.key(experiment, "stats");
    const pipeline = this.redis.pipeline();
    if (delta.kpis.length > 0) {
      const args = delta.kpis.flatMap((k) => [`p${k.revision}:a${k.arm}:k:${k.kpi}`, String(k.n), String(k.sum), String(k.sumSquares)]);
      pipeline.eval(ADD_MOMENTS, 2, stats, `${this.prefix}:x:{${experiment}}:flush:${token || "-"}`, token, ...args);
    }
    for (let i = 0; i < delta.exposures.length; i += EXPOSURE_BATCH) {
      const args = delta.exposures.slice(i, i + EXPOSURE_BATCH).flatMap((e) => [String(e.revision), String(e.arm), e.unit]);
      pipeline.eval(RECORD_EXPOSURES, 2, this.key(experiment, "served"), stats, ...args);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw new Error(`statistics flush for ${experiment} failed: ${failed?.[0]?.message ?? "pipeline aborted"}`);
  }

  async read(experiment: string): Promise<MergedStats> {
    const hash = await this.redis.hgetall(this.key(experiment, "stats"));
    const kpis = new Map<number, Map<number, Record<string, { n: number; sum: number; sumSquares: number }>>>();
    const newUnits = new Map<number, Map<number, number>>();
    const units = new Map<number, number>();
    for (const [field, raw] of Object.entries(hash)) {
      const value = Number(raw);
      let m = /^p(\d+):a(\d+):k:([a-z][a-z0-9_]*):(n|sum|sq)$/.exec(field);
      if (m) {
        const [revision, arm] = [Number(m[1]), Number(m[2])];
        const byArm = kpis.get(revision) ?? kpis.set(revision, new Map()).get(revision)!;
        const byKpi = byArm.get(arm) ?? byArm.set(arm, {}).get(arm)!;
        const moments = (byKpi[m[3] as string] ??= { n: 0, sum: 0, sumSquares: 0 });
        if (m[4] === "n") moments.n = value;
        else if (m[4] === "sum") moments.sum = value;
        else moments.sumSquares = value;
        continue;
      }
      m = /^p(\d+):a(\d+):new$/.exec(field);
      if (m) {
        const byArm = newUnits.get(Number(m[1])) ?? newUnits.set(Number(m[1]), new Map()).get(Number(m[1]))!;
        byArm.set(Number(m[2]), value);
        continue;
      }
      m = /^a(\d+):units$/.exec(field);
      if (m) units.set(Number(m[1]), value);
    }
    return { kpis, newUnits, units };
  }

  /**
   * An ended experiment's statistics expire after `seconds` (its evidence is in the history);
   * late flushes from instances that had not heard of the end yet land before they go.
   */
  async retire(experiment: string, seconds = 3600): Promise<void> {
    await this.redis.multi().expire(this.key(experiment, "stats"), seconds).expire(this.key(experiment, "served"), seconds).exec();
  }

  private key(experiment: string, part: "stats" | "served"): string {
    // Braces keep an experiment's keys in one cluster slot (the Lua script touches both).
    return `${this.prefix}:x:{${experiment}}:${part}`;
  }
}
