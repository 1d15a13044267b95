import { describe, expect, it } from "vitest";
import { parseSchedule, scheduleAt, type Schedule } from "../../../src/targeting/schedule.js";

const H = 3_600_000;
const M = 60_000;
const utc = (iso: string): number => Date.parse(iso);

function schedule(raw: unknown): Schedule {
  const parsed = parseSchedule(raw, "policy.schedule");
  expect(parsed.problems).toEqual([]);
  return parsed.schedule as Schedule;
}
const problemsOf = (raw: unknown): string[] => parseSchedule(raw, "policy.schedule").problems;

describe("parseSchedule", () => {
  it("turns the file's form into plain data: epoch ms, minutes of the day, a day mask", () => {
    expect(
      schedule({
        startAt: "2026-03-01T09:00:00+01:00",
        endAt: "2026-03-15T00:00:00.250Z",
        timeZone: "Europe/Berlin",
        windows: [{ days: ["mon", "sun"], from: "22:00", to: "06:00" }, { from: "12:00", to: "24:00" }],
        maxDuration: "P1DT12H30M15S",
      }),
    ).toEqual({
      startAt: utc("2026-03-01T08:00:00Z"),
      endAt: utc("2026-03-15T00:00:00.250Z"),
      timeZone: "Europe/Berlin",
      windows: [{ days: 0b000_0011, from: 22 * 60, to: 6 * 60 }, { days: 0b111_1111, from: 12 * 60, to: 1440 }],
      maxDurationMs: 36 * H + 30 * M + 15_000,
    });
    expect(schedule({})).toEqual({ timeZone: "UTC", windows: [] });
    expect(schedule({ maxDuration: "PT48H" }).maxDurationMs).toBe(48 * H);
    expect(schedule({ maxDuration: "P3D" }).maxDurationMs).toBe(72 * H);
    expect(schedule({ timeZone: "america/new_york" }).timeZone).toBe("America/New_York");
  });

  it("refuses what is not a schedule, and unknown keys", () => {
    expect(problemsOf(null)).toEqual(["policy.schedule: must be an object"]);
    expect(problemsOf([])).toEqual(["policy.schedule: must be an object"]);
    expect(problemsOf({ start: "x" })).toEqual(["policy.schedule.start: unknown key; expected one of startAt, endAt, timeZone, windows, maxDuration"]);
    expect(problemsOf({ windows: [{ from: "08:00", to: "09:00", day: "mon" }] })).toEqual(["policy.schedule.windows[0].day: unknown key; expected one of days, from, to"]);
  });

  it("dates: the expected format, impossible dates, and endAt after startAt", () => {
    const format = 'expected an ISO 8601 date-time with an offset, like "2026-03-01T09:00:00Z" or "2026-03-01T09:00:00+01:00"';
    expect(problemsOf({ startAt: "2026-03-01 09:00" })).toEqual([`policy.schedule.startAt: "2026-03-01 09:00" is not a date-time; ${format}`]);
    expect(problemsOf({ startAt: "2026-03-01T09:00:00" })).toEqual([`policy.schedule.startAt: "2026-03-01T09:00:00" is not a date-time; ${format}`]);
    expect(problemsOf({ endAt: 1_772_000_000_000 })).toEqual([`policy.schedule.endAt: 1772000000000 is not a date-time; ${format}`]);
    expect(problemsOf({ startAt: "2026-02-30T09:00:00Z" })).toEqual([`policy.schedule.startAt: "2026-02-30T09:00:00Z" is not a valid date-time; ${format}`]);
    expect(problemsOf({ startAt: "2026-03-01T24:00:00Z" })).toHaveLength(1);
    expect(problemsOf({ startAt: "2026-03-01T09:00:00+25:00" })).toHaveLength(1);
    expect(problemsOf({ startAt: "2026-03-02T00:00:00Z", endAt: "2026-03-02T01:00:00+01:00" })).toEqual(["policy.schedule.endAt: must be after startAt"]);
    expect(problemsOf({ startAt: "2026-03-02T00:00:00Z", endAt: "2026-03-01T00:00:00Z" })).toEqual(["policy.schedule.endAt: must be after startAt"]);
  });

  it("time zones Intl does not know", () => {
    expect(problemsOf({ timeZone: "Mars/Olympus" })).toEqual(['policy.schedule.timeZone: unknown time zone "Mars/Olympus"; expected an IANA name like "Europe/Berlin" or "UTC"']);
    expect(problemsOf({ timeZone: "" })).toHaveLength(1);
    expect(problemsOf({ timeZone: 1 })).toHaveLength(1);
  });

  it("windows: HH:MM, day names, duplicates, empty windows, at most 14", () => {
    const w = (window: unknown): string[] => problemsOf({ windows: [window] });
    expect(w({ from: "8:00", to: "09:00" })).toEqual(['policy.schedule.windows[0].from: "8:00" is not a time of day; expected "HH:MM" from 00:00 to 23:59']);
    expect(w({ from: "08:00", to: "25:00" })).toEqual(['policy.schedule.windows[0].to: "25:00" is not a time of day; expected "HH:MM" from 00:00 to 23:59 (or 24:00)']);
    expect(w({ from: "08:60", to: "09:00" })).toHaveLength(1);
    expect(w({ from: "24:00", to: "09:00" })).toHaveLength(1);
    expect(w({ to: "09:00" })).toEqual(['policy.schedule.windows[0].from: required; expected "HH:MM" from 00:00 to 23:59']);
    expect(w({ days: ["mon", "Thursday"], from: "08:00", to: "09:00" })).toEqual(['policy.schedule.windows[0].days[1]: unknown day "Thursday"; expected one of sun, mon, tue, wed, thu, fri, sat']);
    expect(w({ days: ["mon", "tue", "mon"], from: "08:00", to: "09:00" })).toEqual(['policy.schedule.windows[0].days[2]: "mon" is listed twice']);
    expect(w({ days: [], from: "08:00", to: "09:00" })).toEqual(["policy.schedule.windows[0].days: must be a non-empty array of day names (sun, mon, tue, wed, thu, fri, sat); leave it out for every day"]);
    expect(w({ from: "08:00", to: "08:00" })).toEqual(["policy.schedule.windows[0]: from and to are the same time, so the window is empty; to cross midnight, end before the start (22:00 – 06:00)"]);
    expect(w("mon 08:00-09:00")).toEqual(["policy.schedule.windows[0]: must be an object { days, from, to }"]);
    expect(problemsOf({ windows: {} })).toEqual(["policy.schedule.windows: must be an array of windows ({ days, from, to })"]);
    expect(problemsOf({ windows: Array.from({ length: 15 }, () => ({ from: "08:00", to: "09:00" })) })).toEqual(["policy.schedule.windows: at most 14 windows, found 15"]);
    expect(schedule({ windows: [{ from: "00:00", to: "24:00" }] }).windows).toEqual([{ days: 0b111_1111, from: 0, to: 1440 }]);
  });

  it("durations: the subset's format, and not zero", () => {
    const format = 'expected ISO 8601 "P[nD][T[nH][nM][nS]]", like "PT48H" or "P3D"';
    for (const bad of ["48h", "P", "PT", "P1DT", "P2W", "PT1.5H", "-PT1H", 3600]) expect(problemsOf({ maxDuration: bad })).toEqual([`policy.schedule.maxDuration: ${JSON.stringify(bad)} is not a duration; ${format}`]);
    expect(problemsOf({ maxDuration: "PT0S" })).toEqual(['policy.schedule.maxDuration: "PT0S" must be longer than zero']);
    expect(problemsOf({ maxDuration: "P0DT0H" })).toHaveLength(1);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ startAt: "soon", timeZone: "Nowhere", maxDuration: "PT0M", windows: [{ from: "x", to: "y" }] })).toHaveLength(5);
  });
});

describe("scheduleAt", () => {
  const dated = schedule({ startAt: "2026-03-02T00:00:00Z", endAt: "2026-03-09T00:00:00Z", maxDuration: "PT48H" });

  it("before startAt, open, and ended at endAt or after the maximum duration, each with its next instant", () => {
    expect(scheduleAt(dated, utc("2026-03-01T12:00:00Z"), null)).toEqual({ kind: "before", next: utc("2026-03-02T00:00:00Z") });
    expect(scheduleAt(dated, utc("2026-03-02T00:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-09T00:00:00Z") });
    const started = utc("2026-03-03T06:00:00Z");
    expect(scheduleAt(dated, utc("2026-03-04T00:00:00Z"), started)).toEqual({ kind: "open", next: started + 48 * H });
    expect(scheduleAt(dated, started + 48 * H - 1, started)).toEqual({ kind: "open", next: started + 48 * H });
    expect(scheduleAt(dated, started + 48 * H, started)).toEqual({ kind: "ended", why: "max_duration", next: null });
    expect(scheduleAt(dated, utc("2026-03-08T12:00:00Z"), utc("2026-03-08T00:00:00Z"))).toEqual({ kind: "open", next: utc("2026-03-09T00:00:00Z") });
    expect(scheduleAt(dated, utc("2026-03-09T00:00:00Z"), null)).toEqual({ kind: "ended", why: "end_at", next: null });
    expect(scheduleAt(schedule({}), 0, null)).toEqual({ kind: "open", next: null });
  });

  it("closed outside every window, open inside, with the next edge", () => {
    // 2026-03-02 is a Monday.
    const weekdays = schedule({ windows: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" }] });
    expect(scheduleAt(weekdays, utc("2026-03-02T08:59:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-02T09:00:00Z") });
    expect(scheduleAt(weekdays, utc("2026-03-02T09:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-02T17:00:00Z") });
    expect(scheduleAt(weekdays, utc("2026-03-02T16:59:59.999Z"), null)).toEqual({ kind: "open", next: utc("2026-03-02T17:00:00Z") });
    expect(scheduleAt(weekdays, utc("2026-03-02T17:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-03T09:00:00Z") });
    // Friday evening: the weekend is skipped.
    expect(scheduleAt(weekdays, utc("2026-03-06T18:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-09T09:00:00Z") });
    // endAt comes before the next edge.
    const ending = schedule({ endAt: "2026-03-02T12:00:00Z", windows: [{ from: "09:00", to: "17:00" }] });
    expect(scheduleAt(ending, utc("2026-03-02T10:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-02T12:00:00Z") });
  });

  it("a window crossing midnight belongs to the day it starts on", () => {
    const fridayNight = schedule({ windows: [{ days: ["fri"], from: "22:00", to: "06:00" }] });
    expect(scheduleAt(fridayNight, utc("2026-03-06T21:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-06T22:00:00Z") });
    expect(scheduleAt(fridayNight, utc("2026-03-06T23:30:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-07T06:00:00Z") });
    expect(scheduleAt(fridayNight, utc("2026-03-07T05:59:00Z"), null).kind).toBe("open"); // Saturday morning
    expect(scheduleAt(fridayNight, utc("2026-03-07T06:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-13T22:00:00Z") });
    // Friday early morning is the end of Thursday's night, which is not in the window.
    expect(scheduleAt(fridayNight, utc("2026-03-06T03:00:00Z"), null).kind).toBe("closed");
  });

  it("windows are read in the schedule's time zone: America/New_York against UTC", () => {
    const raw = { windows: [{ days: ["mon"], from: "09:00", to: "17:00" }] };
    const newYork = schedule({ ...raw, timeZone: "America/New_York" });
    const inUtc = schedule(raw);
    // Monday 2026-03-02 09:00 in New York (EST, UTC−5) is 14:00 UTC.
    const at = utc("2026-03-02T10:00:00Z");
    expect(scheduleAt(inUtc, at, null)).toEqual({ kind: "open", next: utc("2026-03-02T17:00:00Z") });
    expect(scheduleAt(newYork, at, null)).toEqual({ kind: "closed", next: utc("2026-03-02T14:00:00Z") });
    expect(scheduleAt(newYork, utc("2026-03-02T21:59:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-02T22:00:00Z") });
    // Late Monday in New York is already Tuesday in UTC.
    expect(scheduleAt(schedule({ ...raw, timeZone: "America/New_York", windows: [{ days: ["mon"], from: "20:00", to: "23:00" }] }), utc("2026-03-03T02:00:00Z"), null).kind).toBe("open");
  });

  it("DST in Europe/Berlin: 02:00–03:00 does not exist on 2026-03-29, and 02:00–03:00 happens twice on 2026-10-25", () => {
    // Spring: at 01:00 UTC local time jumps from 02:00 CET to 03:00 CEST.
    const gap = schedule({ timeZone: "Europe/Berlin", windows: [{ days: ["sun"], from: "02:00", to: "02:30" }] });
    expect(scheduleAt(gap, utc("2026-03-28T23:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-04-05T00:00:00Z") });
    const across = schedule({ timeZone: "Europe/Berlin", windows: [{ days: ["sun"], from: "01:30", to: "02:30" }] });
    expect(scheduleAt(across, utc("2026-03-28T23:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-29T00:30:00Z") });
    expect(scheduleAt(across, utc("2026-03-29T00:30:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-29T01:00:00Z") });
    const morning = schedule({ timeZone: "Europe/Berlin", windows: [{ from: "01:00", to: "09:00" }] });
    // 08:00 CEST on the Sunday is 06:00 UTC; the window ends at 07:00 UTC, one hour earlier than the day before.
    expect(scheduleAt(morning, utc("2026-03-29T06:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-29T07:00:00Z") });
    expect(scheduleAt(morning, utc("2026-03-28T07:59:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-28T08:00:00Z") });
    // Autumn: at 01:00 UTC local time goes back from 03:00 CEST to 02:00 CET.
    const twice = schedule({ timeZone: "Europe/Berlin", windows: [{ days: ["sun"], from: "02:00", to: "02:30" }] });
    expect(scheduleAt(twice, utc("2026-10-24T23:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-10-25T00:00:00Z") });
    expect(scheduleAt(twice, utc("2026-10-25T00:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-10-25T00:30:00Z") });
    expect(scheduleAt(twice, utc("2026-10-25T00:30:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-10-25T01:00:00Z") });
    expect(scheduleAt(twice, utc("2026-10-25T01:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-10-25T01:30:00Z") });
  });

  it("next is null when nothing changes within the schedule, and a bad instant is closed, not thrown", () => {
    const allDay = schedule({ windows: [{ from: "00:00", to: "24:00" }] });
    expect(scheduleAt(allDay, utc("2026-03-02T10:00:00Z"), null)).toEqual({ kind: "open", next: null });
    const weekend = schedule({ windows: [{ days: ["sat", "sun"], from: "00:00", to: "24:00" }] });
    expect(scheduleAt(weekend, utc("2026-03-05T10:00:00Z"), null)).toEqual({ kind: "closed", next: utc("2026-03-07T00:00:00Z") });
    expect(scheduleAt(weekend, utc("2026-03-07T10:00:00Z"), null)).toEqual({ kind: "open", next: utc("2026-03-09T00:00:00Z") });
    expect(scheduleAt(weekend, Number.NaN, null)).toEqual({ kind: "closed", next: null });
  });

  it("the next edge agrees with a minute-by-minute walk of an independent reading of the windows", () => {
    const busy = schedule({
      timeZone: "Europe/Berlin",
      windows: [
        { days: ["sun"], from: "01:45", to: "02:15" },
        { days: ["sat"], from: "23:00", to: "02:30" },
        { days: ["mon", "wed"], from: "12:00", to: "13:00" },
      ],
    });
    // The same windows, read with Intl's own weekday names and written out by hand.
    const berlin = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    const open = (t: number): boolean => {
      const p = Object.fromEntries(berlin.formatToParts(t).map((x) => [x.type, x.value]));
      const m = Number(p.hour) * 60 + Number(p.minute);
      const d = p.weekday;
      return (d === "Sun" && m >= 105 && m < 135) || (d === "Sat" && m >= 1380) || (d === "Sun" && m < 150) || ((d === "Mon" || d === "Wed") && m >= 720 && m < 780);
    };
    const walk = (now: number): number | null => {
      const at = open(now);
      for (let t = Math.floor(now / M) * M + M; t < now + 8 * 24 * H; t += M) if (open(t) !== at) return t;
      return null;
    };
    for (const now of [utc("2026-03-28T21:59:30Z"), utc("2026-03-29T00:50:00Z"), utc("2026-03-29T01:20:00Z"), utc("2026-10-24T22:10:00Z"), utc("2026-10-25T00:20:00Z"), utc("2026-10-25T01:20:00Z"), utc("2026-03-30T11:00:00Z")]) {
      const state = scheduleAt(busy, now, null);
      expect(state.kind).toBe(open(now) ? "open" : "closed");
      expect(state.next).toBe(walk(now));
    }
  });
});
