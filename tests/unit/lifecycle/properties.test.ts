import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canTransition, isLive, TRANSITIONS, type ExperimentStatus } from "../../../src/domain/experiment.js";
import type { Screener } from "../../../src/domain/ports.js";
import type { Input } from "../../../src/lifecycle/inputs.js";
import { noScreening } from "../../../src/sim/screening.js";
import type { Schedule } from "../../../src/domain/target.js";
import { statusOf } from "../../../src/lifecycle/state.js";
import { harness, NEUTRAL, smallTarget, type ArmWorld } from "./harness.js";

/** Screening that keeps or rejects candidates by a per-run coin, so both paths are taken. */
const coinScreening =
  (keep: boolean[]): Screener =>
  (input) => {
    const all = noScreening(input);
    return keep[input.generation % keep.length] ? all : { survivors: [], rejected: all.survivors.map((s) => ({ ...s, reason: "coin" })) };
  };

/** Every day 00:00–20:00 UTC, each experiment at most 4 hours. */
const SCHEDULE: Schedule = { timeZone: "UTC", windows: [{ days: 0x7f, from: 0, to: 20 * 60 }], maxDurationMs: 4 * 3_600_000 };

const worlds: ArmWorld[] = [NEUTRAL, { ...NEUTRAL, conversion: 0.45 }, { ...NEUTRAL, conversion: 0.02 }, { ...NEUTRAL, error: 0.6 }, { ...NEUTRAL, latency: 160 }];

type Command =
  /** Units served (each arm behaving as the run's world for it says), then an analysis tick. */
  | { readonly kind: "traffic"; readonly units: number }
  | { readonly kind: "tick" }
  | { readonly kind: "start" }
  | { readonly kind: "propose"; readonly offset: number }
  | { readonly kind: "kill"; readonly cause: "kill_switch" | "target_file" | "operator_rollback" }
  | { readonly kind: "resume" }
  | { readonly kind: "pause" }
  | { readonly kind: "draft"; readonly limit: number }
  | { readonly kind: "rollback"; readonly pick: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("traffic" as const), units: fc.integer({ min: 1, max: 1_500 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: "tick" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "start" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("propose" as const), offset: fc.integer({ min: -1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("kill" as const), cause: fc.constantFrom("kill_switch" as const, "target_file" as const, "operator_rollback" as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "resume" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("draft" as const), limit: fc.integer({ min: -1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rollback" as const), pick: fc.nat() }) },
);

describe("the lifecycle under random inputs", () => {
  it("never writes a transition the table forbids, never commits twice in a generation, and its state agrees with its history", () => {
    const walked = new Set<string>();
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 60 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(worlds.length - 1), { minLength: 3, maxLength: 3 }), fc.string({ maxLength: 6 }), (commands, keep, armWorlds, seed) => {
        // Hourly ticks under a schedule: windows close every evening and experiments time out.
        const h = harness({ screen: coinScreening(keep), seed, target: smallTarget({ analysisEveryMs: 3_600_000, schedule: SCHEDULE }) });
        h.send({ kind: "start", now: 0 });
        for (const c of commands) {
          const now = h.at();
          let input: Input | null = null;
          if (c.kind === "traffic") {
            h.serve(c.units, (arm) => worlds[armWorlds[arm % 3] ?? 0] ?? NEUTRAL);
            h.tick();
          } else if (c.kind === "tick") h.tick();
          else if (c.kind === "start" || c.kind === "resume") input = { kind: c.kind, now };
          else if (c.kind === "pause") input = { kind: "pause", now, reason: "random" };
          else if (c.kind === "draft") input = { kind: "draft", now, change: { retry: { limit: c.limit } }, note: "random" };
          else if (c.kind === "propose") input = { kind: "propose", now, generation: h.state.generation + c.offset };
          else if (c.kind === "kill") input = { kind: "kill", now, cause: c.cause, reason: "random" };
          else {
            const ids = [...h.state.versions.keys(), "v-unknown"];
            input = { kind: "rollback", now, version: ids[c.pick % ids.length] as string, reason: "random" };
          }
          if (input) h.send(input);
          check(h);
        }
        for (const e of h.history) if (e.kind === "transition") walked.add(`${e.from}→${e.to}`);
      }),
      { numRuns: 300, seed: 20261202 },
    );
    // The sequences reached every transition of the table (else the property proved little).
    expect([...walked].sort()).toEqual(Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`)).sort());
  });
});

function check(h: ReturnType<typeof harness>): void {
  const last = new Map<string, ExperimentStatus>();
  const commits = new Map<number, number>();
  let baseline: string | null = null;
  for (const e of h.history) {
    if (e.kind === "transition") {
      const before = last.get(e.experiment) ?? (e.from === "draft" ? "draft" : "proposed");
      expect(e.from, `${e.experiment}: ${e.from} after ${before}`).toBe(before);
      expect(canTransition(e.from, e.to), `${e.experiment}: ${e.from} → ${e.to}`).toBe(true);
      last.set(e.experiment, e.to);
    } else if (e.kind === "baseline") {
      baseline = e.version;
      if (e.cause === "commit") commits.set(e.at, (commits.get(e.at) ?? 0) + 1);
    }
  }
  const committedPerGeneration = new Map<number, number>();
  for (const e of h.history) if (e.kind === "transition" && e.to === "committed") committedPerGeneration.set(e.generation, (committedPerGeneration.get(e.generation) ?? 0) + 1);
  for (const [generation, n] of committedPerGeneration) expect(n, `generation ${generation} commits`).toBe(1);
  const commitEntries = h.history.filter((e) => e.kind === "baseline" && e.cause === "commit").length;
  expect(commitEntries).toBe([...committedPerGeneration.values()].reduce((a, b) => a + b, 0));

  // The state agrees with the history: baseline, generation, live experiment.
  expect(h.state.baseline.id).toBe(baseline);
  expect(h.state.generation).toBe(last.size);
  const liveIds = [...last].filter(([, s]) => isLive(s) || s === "paused").map(([id]) => id);
  expect(liveIds.length).toBeLessThanOrEqual(1);
  if (h.state.kind === "live") {
    expect(liveIds).toEqual([h.state.experiment.id]);
    expect(last.get(h.state.experiment.id)).toBe(statusOf(h.state.experiment));
    expect(h.live?.id).toBe(h.state.experiment.id);
  } else {
    expect(liveIds).toEqual([]);
    expect(h.live).toBeNull();
  }
  const record = h.state.records[h.state.records.length - 1];
  if (record) expect(record.status).toBe(last.get(record.experiment));
}
