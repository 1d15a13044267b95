import type { Redis } from "ioredis";
import type { StatsDelta, UnitMoments } from "../domain/snapshot.js";
import type { MetricPlan } from "../evidence/unit-metrics.js";

/**
 * A (unit, arm) row in Redis, as evidence/served-units.ts keeps it in memory: the period it
 * began in, then per raw KPI its count and sum — `rev|c₀|y₀|c₁|y₁…`. A metric cell is
 * `p<rev>:a<arm>:m:<metric>:<n|s|q|d|dq|x>` (units, Σy, Σy², Σd, Σd², Σyd; stats/ratio.ts).
 */

/**
 * recordExposures-4 (Lua): counts distinct units across instances and begins their rows.
 *   KEYS[1] served hash  unit → bit mask of arms served (bit i = arm i), plus 1024 × (segment + 1)
 *                        with segments: the segment of the first exposure Redis heard of
 *   KEYS[2] stats hash   p<rev>:a<arm>:new (units first exposed in that period), a<arm>:units, metric
 *                        cells; with segments each also as g<segment>:<field>
 *   KEYS[3] rows hash    <arm>|<unit> → row
 *   ARGV    K (raw KPIs), E, S (named segments; 0: none, S: "other"), E names of metrics every
 *           unit counts in (binomial, count, sum), then revision, arm, unit, segment, …
 * Returns the number of units seen for the first time.
 */
const RECORD_EXPOSURES = `
local K, E, S = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local zeros = string.rep('|0|0', K)
local fresh = 0
-- Counts are summed here and written once per field at the end (not once per exposure).
local counts = {}
local function count(field, seg)
  counts[field] = (counts[field] or 0) + 1
  if seg ~= nil then local g = 'g' .. seg .. ':' .. field; counts[g] = (counts[g] or 0) + 1 end
end
for i = 4 + E, #ARGV, 4 do
  local revision, arm, unit, given = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3])
  local bit = 2 ^ arm
  local stored = tonumber(redis.call('HGET', KEYS[1], unit) or '-1')
  -- mask 0: no exposure yet (an outcome's row may have fixed the unit's segment already).
  local mask, seg = 0, nil
  if stored >= 0 then mask = stored % 1024 end
  if S > 0 then
    if stored >= 0 then seg = math.floor(stored / 1024) - 1 end
    if seg == nil or seg < 0 or seg > S then
      seg = S
      if given >= 0 and given < S then seg = given end
    end
  end
  local code = 0
  if S > 0 then code = 1024 * (seg + 1) end
  if mask == 0 then
    redis.call('HSET', KEYS[1], unit, code + bit)
    count('p' .. revision .. ':a' .. arm .. ':new', seg)
    count('a' .. arm .. ':units', seg)
    fresh = fresh + 1
  elseif math.floor(mask / bit) % 2 == 0 then
    redis.call('HSET', KEYS[1], unit, code + mask + bit)
    count('a' .. arm .. ':units', seg)
  end
  if redis.call('HSETNX', KEYS[3], arm .. '|' .. unit, revision .. zeros) == 1 then
    for e = 1, E do count('p' .. revision .. ':a' .. arm .. ':m:' .. ARGV[3 + e] .. ':n', seg) end
  end
end
-- A unit that begins a row counts 1 in n, d and dq of every metric every unit counts in.
for field, n in pairs(counts) do
  redis.call('HINCRBY', KEYS[2], field, n)
  if string.sub(field, -2) == ':n' then
    local cell = string.sub(field, 1, -2)
    redis.call('HINCRBYFLOAT', KEYS[2], cell .. 'd', n)
    redis.call('HINCRBYFLOAT', KEYS[2], cell .. 'dq', n)
  end
end
return fresh
`;

/**
 * addUnits-1 (Lua): applies units' raw increments to their rows and moves every metric cell by
 * the change of the unit's contribution (evidence/unit-metrics.ts contribution(), the same
 * rules), once per flush token, so a flush retried after a lost reply is not counted twice.
 *   KEYS[1] rows hash, KEYS[2] stats hash, KEYS[3] the token's key (kept a day), KEYS[4] served hash
 *   ARGV    token ('' for none), K, M, S (named segments, 0: none), M × (name, type, raw,
 *           denominator, cap), then per row: unit, arm, revision, V, V × (raw, count, sum)
 * With segments every cell moves in the unit's segment too (its first exposure's, in the served
 * hash; "other" for a unit no exposure named).
 */
const ADD_UNITS = `
if ARGV[1] ~= '' and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', 86400) then return 0 end
local K, M, S = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local metrics = {}
local i = 5
for m = 1, M do
  metrics[m] = { name = ARGV[i], type = ARGV[i + 1], raw = tonumber(ARGV[i + 2]) + 1, den = tonumber(ARGV[i + 3]) + 1, cap = tonumber(ARGV[i + 4]) }
  i = i + 5
end
local function contribution(m, c, y)
  local t, ci, yi = m.type, c[m.raw], y[m.raw]
  if t == 'per_outcome' or t == 'quantile' then if ci > 0 then return yi, ci end return nil end
  if t == 'binomial' then if yi ~= 0 then return 1, 1 end return 0, 1 end
  if t == 'count' then return yi, 1 end
  if t == 'sum' then return math.min(yi, m.cap), 1 end
  if t == 'unit_mean' then if ci > 0 then return yi / ci, 1 end return nil end
  if ci > 0 or c[m.den] > 0 then return yi, y[m.den] end
  return nil
end
-- Cell changes are summed per (period, arm) and metric, and written once per cell at the end:
-- one HINCRBY(FLOAT) per cell field and flush instead of six per unit row.
local groups = {}
local function groupOf(prefix, period, arm)
  local key = prefix .. period .. '|' .. arm
  local group = groups[key]
  if group == nil then
    group = { prefix = prefix, period = period, arm = arm }
    for m = 1, M do group[m] = { 0, 0, 0, 0, 0, 0 } end
    groups[key] = group
  end
  return group
end
local function fmt(v)
  if v == math.floor(v) and v > -1e15 and v < 1e15 then return string.format('%d', v) end
  return string.format('%.17g', v)
end
while i <= #ARGV do
  local unit, arm, revision, V = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local field = arm .. '|' .. unit
  local stored = redis.call('HGET', KEYS[1], field)
  local c, y = {}, {}
  local period = revision
  local began = stored == false
  if began then
    for r = 1, K do c[r] = 0; y[r] = 0 end
  else
    local n = 0
    for part in string.gmatch(stored, '[^|]+') do
      if n == 0 then period = part elseif n % 2 == 1 then c[(n + 1) / 2] = tonumber(part) else y[n / 2] = tonumber(part) end
      n = n + 1
    end
  end
  local before = {}
  for m = 1, M do
    local y0, d0 = nil, nil
    if not began then y0, d0 = contribution(metrics[m], c, y) end
    before[m] = { y0, d0 }
  end
  for v = 1, V do
    local r = tonumber(ARGV[i]) + 1
    c[r] = c[r] + tonumber(ARGV[i + 1])
    y[r] = y[r] + tonumber(ARGV[i + 2])
    i = i + 3
  end
  local row = { period }
  for r = 1, K do row[2 * r] = fmt(c[r]); row[2 * r + 1] = fmt(y[r]) end
  redis.call('HSET', KEYS[1], field, table.concat(row, '|'))
  local targets = { groupOf('', period, arm) }
  if S > 0 then
    -- The unit's segment is its first exposure's; a unit no exposure named yet (its outcome
    -- reached Redis first) is fixed in "other" here, so its exposure counts it there too.
    local served = redis.call('HGET', KEYS[4], unit)
    local seg = S
    if served then seg = math.floor(tonumber(served) / 1024) - 1 else redis.call('HSET', KEYS[4], unit, 1024 * (S + 1)) end
    if seg < 0 or seg > S then seg = S end
    targets[2] = groupOf('g' .. seg .. ':', period, arm)
  end
  for m = 1, M do
    local y0, d0 = before[m][1], before[m][2]
    local y1, d1 = contribution(metrics[m], c, y)
    for _, group in ipairs(targets) do
      local g = group[m]
      if y0 ~= nil then g[1] = g[1] - 1; g[2] = g[2] - y0; g[3] = g[3] - y0 * y0; g[4] = g[4] - d0; g[5] = g[5] - d0 * d0; g[6] = g[6] - y0 * d0 end
      if y1 ~= nil then g[1] = g[1] + 1; g[2] = g[2] + y1; g[3] = g[3] + y1 * y1; g[4] = g[4] + d1; g[5] = g[5] + d1 * d1; g[6] = g[6] + y1 * d1 end
    end
  end
end
local suffix = { 's', 'q', 'd', 'dq', 'x' }
for _, group in pairs(groups) do
  for m = 1, M do
    local g = group[m]
    local cell = group.prefix .. 'p' .. group.period .. ':a' .. group.arm .. ':m:' .. metrics[m].name .. ':'
    if g[1] ~= 0 then redis.call('HINCRBY', KEYS[2], cell .. 'n', g[1]) end
    for f = 1, 5 do
      if g[f + 1] ~= 0 then redis.call('HINCRBYFLOAT', KEYS[2], cell .. suffix[f], string.format('%.17g', g[f + 1])) end
    end
  end
end
return 1
`;

/** Statistics of one experiment (or of one of its segments) as merged from every instance. */
export interface MergedPart {
  /** Per period revision, per arm, per metric. */
  readonly kpis: ReadonlyMap<number, ReadonlyMap<number, Readonly<Record<string, UnitMoments>>>>;
  /** Per period revision, per arm: units first exposed in that period. */
  readonly newUnits: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** Per arm: distinct units served. */
  readonly units: ReadonlyMap<number, number>;
}

/** The whole experiment, and with segments each segment by index (the named ones, then "other"). */
export interface MergedStats extends MergedPart {
  readonly segments: ReadonlyMap<number, MergedPart>;
}

type MutablePart = { kpis: Map<number, Map<number, Record<string, Record<keyof UnitMoments, number>>>>; newUnits: Map<number, Map<number, number>>; units: Map<number, number> };
const emptyPart = (): MutablePart => ({ kpis: new Map(), newUnits: new Map(), units: new Map() });

/** Exposures, and unit rows, per Lua call: bounds how long one script holds Redis. */
const EXPOSURE_BATCH = 1000;
const UNIT_BATCH = 500;
const FIELDS = { n: "n", s: "sum", q: "sumSquares", d: "den", dq: "denSquares", x: "cross" } as const;

/**
 * Per-arm, per-period sufficient statistics merged in Redis. Each instance drains its
 * experiment's deltas and flushes them here: units' raw increments through a Lua script that
 * keeps every (unit, arm) row and moves the metric cells, once per flush token, so a unit whose
 * outcomes reach several instances counts as one unit with its whole total; exposures through a
 * Lua script that counts a unit once however many instances saw it. Keys:
 * <prefix>:x:{<experiment>}:stats, …:served and …:rows.
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
  async flush(experiment: string, delta: StatsDelta, plan: MetricPlan, token = "", segments = 0): Promise<void> {
    const stats = this.key(experiment, "stats");
    const rows = this.key(experiment, "rows");
    const pipeline = this.redis.pipeline();
    // Exposures first: an outcome's row then finds its unit's segment (and its row begun).
    const every = plan.everyUnit.map((m) => (plan.metrics[m] as { name: string }).name);
    for (let i = 0; i < delta.exposures.length; i += EXPOSURE_BATCH) {
      const args = delta.exposures.slice(i, i + EXPOSURE_BATCH).flatMap((e) => [String(e.revision), String(e.arm), e.unit, String(e.segment ?? -1)]);
      pipeline.eval(RECORD_EXPOSURES, 3, this.key(experiment, "served"), stats, rows, String(plan.raw.length), String(every.length), String(segments), ...every, ...args);
    }
    if (delta.units.length > 0) {
      const header = [token, String(plan.raw.length), String(plan.metrics.length), String(segments), ...plan.metrics.flatMap((m) => [m.name, m.type, String(m.raw), String(m.denominator), String(Number.isFinite(m.cap) ? m.cap : 1e308)])];
      for (let i = 0; i < delta.units.length; i += UNIT_BATCH) {
        const args = delta.units.slice(i, i + UNIT_BATCH).flatMap((u) => [u.unit, String(u.arm), String(u.revision), String(u.values.length), ...u.values.flatMap((v) => [String(v.raw), String(v.count), String(v.sum)])]);
        // Each batch is its own token: a retried flush skips exactly the batches that landed.
        pipeline.eval(ADD_UNITS, 4, rows, stats, `${this.prefix}:x:{${experiment}}:flush:${token ? `${token}:${i}` : "-"}`, this.key(experiment, "served"), token ? `${token}:${i}` : "", ...header.slice(1), ...args);
      }
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw new Error(`statistics flush for ${experiment} failed: ${failed?.[0]?.message ?? "pipeline aborted"}`);
  }

  async read(experiment: string): Promise<MergedStats> {
    const hash = await this.redis.hgetall(this.key(experiment, "stats"));
    const whole = emptyPart();
    const segments = new Map<number, MutablePart>();
    for (const [name, raw] of Object.entries(hash)) {
      const value = Number(raw);
      // g<segment>: prefixes a segment's copy of a field.
      const g = /^g(\d+):/.exec(name);
      const part = g ? (segments.get(Number(g[1])) ?? segments.set(Number(g[1]), emptyPart()).get(Number(g[1]))!) : whole;
      const field = g ? name.slice(g[0].length) : name;
      let m = /^p(\d+):a(\d+):m:([a-z][a-z0-9_]*):(n|s|q|d|dq|x)$/.exec(field);
      if (m) {
        const [revision, arm] = [Number(m[1]), Number(m[2])];
        const byArm = part.kpis.get(revision) ?? part.kpis.set(revision, new Map()).get(revision)!;
        const byKpi = byArm.get(arm) ?? byArm.set(arm, {}).get(arm)!;
        const moments = (byKpi[m[3] as string] ??= { n: 0, sum: 0, sumSquares: 0, den: 0, denSquares: 0, cross: 0 });
        moments[FIELDS[m[4] as keyof typeof FIELDS]] = value;
        continue;
      }
      m = /^p(\d+):a(\d+):new$/.exec(field);
      if (m) {
        const byArm = part.newUnits.get(Number(m[1])) ?? part.newUnits.set(Number(m[1]), new Map()).get(Number(m[1]))!;
        byArm.set(Number(m[2]), value);
        continue;
      }
      m = /^a(\d+):units$/.exec(field);
      if (m) part.units.set(Number(m[1]), value);
    }
    return { ...whole, segments };
  }

  /**
   * An ended experiment's statistics expire after `seconds` (its evidence is in the history);
   * late flushes from instances that had not heard of the end yet land before they go.
   */
  async retire(experiment: string, seconds = 3600): Promise<void> {
    await this.redis.multi().expire(this.key(experiment, "stats"), seconds).expire(this.key(experiment, "served"), seconds).expire(this.key(experiment, "rows"), seconds).exec();
  }

  private key(experiment: string, part: "stats" | "served" | "rows"): string {
    // Braces keep an experiment's keys in one cluster slot (the Lua script touches both).
    return `${this.prefix}:x:{${experiment}}:${part}`;
  }
}
