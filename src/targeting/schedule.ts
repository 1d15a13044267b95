import type { Schedule, ScheduleWindow } from "../domain/target.js";

/**
 * Experiment schedules: when experiments may take traffic. A target file writes dates, a time
 * zone, weekly windows and a maximum duration (`parseSchedule`); the lifecycle asks, at each tick
 * and in the injected clock's time, what the schedule says now (`scheduleAt`).
 */

export type { Schedule, ScheduleWindow };

/**
 * What a schedule says at an instant. `next` is the next instant (epoch ms) the state could
 * change — a window edge, startAt, endAt or the end of the maximum duration — null when it never
 * does, so a caller can schedule a wake-up in virtual time.
 */
export type ScheduleState =
  /** Before startAt: no experiment may start. */
  | { readonly kind: "before"; readonly next: number | null }
  | { readonly kind: "open"; readonly next: number | null }
  /** Outside every window: a live experiment is paused, and kept. */
  | { readonly kind: "closed"; readonly next: number | null }
  | { readonly kind: "ended"; readonly why: "end_at" | "max_duration"; readonly next: number | null };

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const ALL_DAYS = 0b111_1111;
const KEYS: ReadonlySet<string> = new Set(["startAt", "endAt", "timeZone", "windows", "maxDuration"]);
const WINDOW_KEYS: ReadonlySet<string> = new Set(["days", "from", "to"]);
const MAX_WINDOWS = 14;
const MINUTE = 60_000;
const DAY = 86_400_000;
// A week and a day covers every weekly pattern from any instant.
const HORIZON = 8 * DAY;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const TIME_OF_DAY = /^(\d{2}):(\d{2})$/;

/**
 * Validates a target file's `policy.schedule`; problems name the field after `where`.
 * Example: `parseSchedule({ timeZone: "Europe/Berlin", windows: [{ days: ["sat", "sun"], from: "08:00", to: "20:00" }] }, "policy.schedule")`.
 */
export function parseSchedule(raw: unknown, where: string): { schedule?: Schedule; problems: string[] } {
  if (!isRecord(raw)) return { problems: [`${where}: must be an object`] };
  const problems: string[] = [];
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) problems.push(`${where}.${key}: unknown key; expected one of ${[...KEYS].join(", ")}`);
  const startAt = raw.startAt === undefined ? undefined : parseDateTime(raw.startAt, `${where}.startAt`, problems);
  const endAt = raw.endAt === undefined ? undefined : parseDateTime(raw.endAt, `${where}.endAt`, problems);
  if (startAt !== undefined && endAt !== undefined && endAt <= startAt) problems.push(`${where}.endAt: must be after startAt`);
  const timeZone = raw.timeZone === undefined ? "UTC" : parseTimeZone(raw.timeZone, `${where}.timeZone`, problems);
  const windows = raw.windows === undefined ? [] : parseWindows(raw.windows, `${where}.windows`, problems);
  const maxDurationMs = raw.maxDuration === undefined ? undefined : parseDuration(raw.maxDuration, `${where}.maxDuration`, problems);
  if (problems.length > 0 || timeZone === undefined) return { problems };
  return {
    schedule: {
      ...(startAt !== undefined ? { startAt } : {}),
      ...(endAt !== undefined ? { endAt } : {}),
      timeZone,
      windows,
      ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
    },
    problems,
  };
}

/**
 * What the schedule says at `now`; `startedAt` is the live experiment's start (null: none), from
 * which its maximum duration runs. Never throws: an instant outside the dates Intl handles is closed.
 */
export function scheduleAt(schedule: Schedule, now: number, startedAt: number | null): ScheduleState {
  if (schedule.endAt !== undefined && now >= schedule.endAt) return { kind: "ended", why: "end_at", next: null };
  const durationEnd = startedAt !== null && schedule.maxDurationMs !== undefined ? startedAt + schedule.maxDurationMs : undefined;
  if (durationEnd !== undefined && durationEnd <= now) return { kind: "ended", why: "max_duration", next: null };
  if (schedule.startAt !== undefined && now < schedule.startAt) return { kind: "before", next: schedule.startAt };
  const end = earliest(schedule.endAt, durationEnd);
  if (schedule.windows.length === 0) return { kind: "open", next: end };
  try {
    const zone = zoneOf(schedule.timeZone);
    const here = localAt(zone, now);
    const open = inWindow(schedule.windows, here);
    const edge = nextChange(schedule.windows, zone, now, here, open, Math.min(now + HORIZON, end ?? Infinity));
    return { kind: open ? "open" : "closed", next: earliest(edge, end) };
  } catch {
    return { kind: "closed", next: null };
  }
}

/** The earlier of two optional instants; null when neither is given. */
function earliest(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === undefined || a === null) return b ?? null;
  return b === undefined || b === null ? a : Math.min(a, b);
}

interface Local {
  /** 0 = Sunday. */
  readonly weekday: number;
  /** Milliseconds since local midnight. */
  readonly ms: number;
  /** Local wall time minus UTC, in ms. */
  readonly offset: number;
}

const zones = new Map<string, Intl.DateTimeFormat>();

/** One formatter per time zone: constructing one costs far more than formatting with it. */
function zoneOf(timeZone: string): Intl.DateTimeFormat {
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    zone = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    zones.set(timeZone, zone);
  }
  return zone;
}

function localAt(zone: Intl.DateTimeFormat, t: number): Local {
  const part: Record<string, number> = {};
  for (const p of zone.formatToParts(t)) if (p.type !== "literal") part[p.type] = Number(p.value);
  const ms = ((t % 1000) + 1000) % 1000;
  const wall = Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day ?? 1, part.hour ?? 0, part.minute ?? 0, part.second ?? 0, ms);
  const day = Math.floor(wall / DAY);
  // 1970-01-01 was a Thursday (4).
  return { weekday: (((day + 4) % 7) + 7) % 7, ms: wall - day * DAY, offset: wall - t };
}

/** A window crossing midnight belongs to the day it starts on: 22:00 Friday – 06:00 Saturday is Friday's. */
function inWindow(windows: readonly ScheduleWindow[], here: Local): boolean {
  const minute = Math.floor(here.ms / MINUTE);
  const yesterday = (here.weekday + 6) % 7;
  return windows.some((w) => {
    const today = (w.days & (1 << here.weekday)) !== 0;
    if (w.from < w.to) return today && minute >= w.from && minute < w.to;
    return (today && minute >= w.from) || ((w.days & (1 << yesterday)) !== 0 && minute < w.to);
  });
}

/**
 * The first instant after `now`, before `limit`, at which being inside a window changes. It can
 * change only at a window edge in local time or where the zone's offset changes (a DST jump), so
 * this hops from edge to edge — assuming the offset holds — and, when the offset differs at the
 * edge, goes back to the instant it changed (bisection) and looks there.
 */
function nextChange(windows: readonly ScheduleWindow[], zone: Intl.DateTimeFormat, now: number, here: Local, open: boolean, limit: number): number | null {
  // Midnight is always an edge: a day of the mask begins or ends there.
  const edges = [...new Set([0, ...windows.flatMap((w) => [w.from % 1440, w.to % 1440])])].sort((a, b) => a - b).map((m) => m * MINUTE);
  let t = now;
  let local = here;
  while (t < limit) {
    const ahead = edges.find((e) => e > local.ms);
    const candidate = t + (ahead === undefined ? (edges[0] ?? 0) + DAY : ahead) - local.ms;
    if (candidate >= limit) return null;
    const there = localAt(zone, candidate);
    if (there.offset === local.offset) {
      t = candidate;
      local = there;
    } else {
      t = offsetChange(zone, t, candidate, local.offset);
      local = localAt(zone, t);
    }
    if (inWindow(windows, local) !== open) return t;
  }
  return null;
}

/** The first millisecond in (from, to] whose offset is no longer `offset`. */
function offsetChange(zone: Intl.DateTimeFormat, from: number, to: number, offset: number): number {
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localAt(zone, mid).offset === offset) lo = mid;
    else hi = mid;
  }
  return hi;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseDateTime(value: unknown, at: string, problems: string[]): number | undefined {
  const expected = `expected an ISO 8601 date-time with an offset, like "2026-03-01T09:00:00Z" or "2026-03-01T09:00:00+01:00"`;
  const m = typeof value === "string" ? DATE_TIME.exec(value) : null;
  if (m === null) {
    problems.push(`${at}: ${JSON.stringify(value) ?? String(value)} is not a date-time; ${expected}`);
    return undefined;
  }
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offset = m[8] === "Z" ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * MINUTE;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 2026-02-30 over into March: a round trip catches impossible dates.
  const check = new Date(wall);
  const valid = check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day && hour < 24 && minute < 60 && second < 60 && Number(m[10] ?? 0) < 24 && Number(m[11] ?? 0) < 60;
  if (!valid) {
    problems.push(`${at}: "${String(value)}" is not a valid date-time; ${expected}`);
    return undefined;
  }
  return wall - offset;
}

function parseTimeZone(value: unknown, at: string, problems: string[]): string | undefined {
  if (typeof value === "string" && value !== "") {
    try {
      // The zone's canonical name (case fixed), the one Intl will format with.
      return new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      // Unknown to Intl: reported below.
    }
  }
  problems.push(`${at}: unknown time zone ${JSON.stringify(value) ?? String(value)}; expected an IANA name like "Europe/Berlin" or "UTC"`);
  return undefined;
}

function parseDuration(value: unknown, at: string, problems: string[]): number | undefined {
  const m = typeof value === "string" && value !== "P" && !value.endsWith("T") ? DURATION.exec(value) : null;
  if (m === null) {
    problems.push(`${at}: ${JSON.stringify(value) ?? String(value)} is not a duration; expected ISO 8601 "P[nD][T[nH][nM][nS]]", like "PT48H" or "P3D"`);
    return undefined;
  }
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((part) => Number(part ?? 0)) as [number, number, number, number];
  const ms = ((d * 24 + h) * 60 + min) * MINUTE + s * 1000;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    problems.push(`${at}: "${String(value)}" must be longer than zero${ms > 0 ? " and shorter than the clock can count" : ""}`);
    return undefined;
  }
  return ms;
}

function parseWindows(value: unknown, at: string, problems: string[]): ScheduleWindow[] {
  if (!Array.isArray(value)) {
    problems.push(`${at}: must be an array of windows ({ days, from, to })`);
    return [];
  }
  if (value.length > MAX_WINDOWS) problems.push(`${at}: at most ${MAX_WINDOWS} windows, found ${value.length}`);
  return value.flatMap((raw: unknown, i) => {
    const window = parseWindow(raw, `${at}[${i}]`, problems);
    return window === undefined ? [] : [window];
  });
}

function parseWindow(raw: unknown, at: string, problems: string[]): ScheduleWindow | undefined {
  if (!isRecord(raw)) {
    problems.push(`${at}: must be an object { days, from, to }`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(raw)) if (!WINDOW_KEYS.has(key)) problems.push(`${at}.${key}: unknown key; expected one of ${[...WINDOW_KEYS].join(", ")}`);
  const days = raw.days === undefined ? ALL_DAYS : parseDays(raw.days, `${at}.days`, problems);
  const from = parseTimeOfDay(raw.from, `${at}.from`, false, problems);
  const to = parseTimeOfDay(raw.to, `${at}.to`, true, problems);
  if (from !== undefined && to !== undefined && from === to) problems.push(`${at}: from and to are the same time, so the window is empty; to cross midnight, end before the start (22:00 – 06:00)`);
  return problems.length > before || from === undefined || to === undefined ? undefined : { days, from, to };
}

function parseDays(value: unknown, at: string, problems: string[]): number {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${at}: must be a non-empty array of day names (${DAYS.join(", ")}); leave it out for every day`);
    return 0;
  }
  let mask = 0;
  value.forEach((name: unknown, i) => {
    const day = DAYS.indexOf(name as (typeof DAYS)[number]);
    if (day < 0) problems.push(`${at}[${i}]: unknown day ${JSON.stringify(name) ?? String(name)}; expected one of ${DAYS.join(", ")}`);
    else if ((mask & (1 << day)) !== 0) problems.push(`${at}[${i}]: "${String(name)}" is listed twice`);
    else mask |= 1 << day;
  });
  return mask;
}

/** Minutes of the day of "HH:MM"; an end may be "24:00", the midnight that ends the day. */
function parseTimeOfDay(value: unknown, at: string, end: boolean, problems: string[]): number | undefined {
  const m = typeof value === "string" ? TIME_OF_DAY.exec(value) : null;
  const minutes = m === null ? NaN : Number(m[1]) * 60 + Number(m[2]);
  if (m !== null && Number(m[1]) < 24 && Number(m[2]) < 60) return minutes;
  if (end && value === "24:00") return 1440;
  problems.push(`${at}: ${value === undefined ? "required" : `${JSON.stringify(value) ?? String(value)} is not a time of day`}; expected "HH:MM" from 00:00 to 23:59${end ? " (or 24:00)" : ""}`);
  return undefined;
}
