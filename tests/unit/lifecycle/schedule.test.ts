import { describe, expect, it } from "vitest";
import type { Schedule } from "../../../src/domain/target.js";
import { statusOf, type TargetState } from "../../../src/lifecycle/state.js";
import { parseSchedule } from "../../../src/targeting/schedule.js";
import { harness, NEUTRAL, paths, smallTarget } from "./harness.js";

type Live = TargetState & { kind: "live" };
const HOUR = 3_600_000;

function schedule(raw: unknown): Schedule {
  const parsed = parseSchedule(raw, "policy.schedule");
  expect(parsed.problems).toEqual([]);
  return parsed.schedule as Schedule;
}

/** A target ticking every 10 virtual minutes under `raw`, started at t = 0 (1970-01-01T00:00Z, a Thursday). */
function scheduled(raw: unknown, policy: Parameters<typeof smallTarget>[0] = {}) {
  const h = harness({ target: smallTarget({ analysisEveryMs: 600_000, schedule: schedule(raw), ...policy }) });
  h.send({ kind: "start", now: 0 });
  return h;
}
const status = (h: ReturnType<typeof harness>): string => (h.state.kind === "live" ? statusOf(h.state.experiment) : h.state.kind);

describe("a schedule pauses and ends experiments in virtual time", () => {
  it("outside its window a live experiment is paused (kept), inside again it goes on — the same experiment", () => {
    const h = scheduled({ windows: [{ from: "00:00", to: "12:00" }] });
    expect(status(h)).toBe("canary");
    const id = (h.state as Live).experiment.id;
    // Ticks up to 12:00 serve units; the first tick at or after 12:00 pauses.
    let pausedAt = 0;
    for (let t = 0; t < 100 && !pausedAt; t++) {
      h.serve(2); // too few to ramp: it stays in canary
      h.tick();
      if (status(h) === "paused") pausedAt = h.at(0);
    }
    expect(pausedAt).toBe(12 * HOUR);
    expect((h.state as Live).experiment.paused).toEqual(["schedule"]);
    expect(h.serving).toBe(false);
    const units = h.live?.statistics().units;
    // Through the night: nothing served, nothing decided.
    while (h.at(0) < 24 * HOUR - 600_000) {
      h.serve(50);
      h.tick();
      expect(status(h)).toBe("paused");
    }
    expect(h.live?.statistics().units).toEqual(units);
    h.tick(); // 24:00, the next day's window
    expect(status(h)).toBe("canary");
    expect((h.state as Live).experiment.id).toBe(id);
    expect(paths(h.history).get(id)).toEqual(["proposed", "screening", "canary", "paused", "canary"]);
  });

  it("an operator's pause outlasts the window: both causes must clear", () => {
    const h = scheduled({ windows: [{ from: "00:00", to: "01:00" }] });
    h.send({ kind: "pause", now: h.at(0), reason: "x" });
    h.tick(HOUR); // 01:00: outside
    expect((h.state as Live).experiment.paused).toEqual(["operator", "schedule"]);
    h.tick(23 * HOUR); // next day 00:00: inside, still paused by the operator
    expect((h.state as Live).experiment.paused).toEqual(["operator"]);
    expect(h.serving).toBe(false);
    h.send({ kind: "resume", now: h.at(0) });
    expect(status(h)).toBe("canary");
    expect(h.serving).toBe(true);
  });

  it("no generation starts before startAt; the first tick after it starts one", () => {
    const h = scheduled({ startAt: "1970-01-01T03:00:00Z" });
    expect(h.state.kind).toBe("idle");
    while (h.at(0) < 3 * HOUR - 600_000) {
      h.tick();
      expect(h.state.kind).toBe("idle");
    }
    expect(h.history.some((e) => e.kind === "transition")).toBe(false);
    h.tick();
    expect(status(h)).toBe("canary");
  });

  it("at its maximum duration an experiment with no decision ends inconclusive, and the next generation starts", () => {
    const h = scheduled({ maxDuration: "PT2H" }, { maxUnitsPerArm: 1e6 });
    const id = (h.state as Live).experiment.id;
    for (let i = 0; i < 11; i++) {
      h.serve(10);
      h.tick();
    }
    expect((h.state as Live).experiment.id).toBe(id);
    h.tick(); // 02:00
    expect(paths(h.history).get(id)?.at(-1)).toBe("inconclusive");
    expect(h.history.find((e) => e.kind === "transition" && e.experiment === id && e.to === "inconclusive")).toMatchObject({ reason: "schedule: the experiment has run its maximum duration" });
    expect(h.state.kind === "live" && h.state.experiment.id).toBe(`${h.target.name}/g2`);
  });

  it("at endAt a paused experiment gets a last analysis, ends, and no generation starts after", () => {
    const h = scheduled({ endAt: "1970-01-01T05:00:00Z", windows: [{ from: "00:00", to: "04:00" }] }, { maxUnitsPerArm: 1e6 });
    const id = (h.state as Live).experiment.id;
    while (h.at(0) < 4 * HOUR) {
      h.serve(10, () => NEUTRAL);
      h.tick();
    }
    expect(status(h)).toBe("paused");
    while (h.at(0) < 5 * HOUR) h.tick();
    expect(paths(h.history).get(id)?.slice(-3)).toEqual(["paused", "canary", "inconclusive"]);
    expect(h.state.kind).toBe("idle");
    for (let i = 0; i < 30; i++) h.tick(HOUR);
    expect(h.state.kind).toBe("idle");
    expect(paths(h.history).size).toBe(1);
  });
});
