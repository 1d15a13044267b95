import { describe, expect, it } from "vitest";
import { asyncScheduler } from "rxjs";
import { silentLogger } from "../../src/domain/logger.js";
import { twinEngine } from "../../src/bandit/twin.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { TargetRuntime } from "../../src/runtime/target-runtime.js";
import { noScreening } from "../../src/sim/screening.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { ExperimentRouter } from "../../src/stream/router.js";
import { checkoutTarget } from "../helpers.js";

const RUNNING = { status: "running", canaryStep: 0 } as const;

function runtime(store: MemoryStore, router = new ExperimentRouter()) {
  const now = 1_000;
  const target = checkoutTarget();
  return {
    router,
    runtime: new TargetRuntime({ target, store, clock: { now: () => now }, scheduler: asyncScheduler, rng: seededRng(target.policy.seed), router, screen: noScreening, bandit: twinEngine, log: silentLogger, journaling: true }),
  };
}

describe("resuming after a restart", () => {
  it("picks up the live experiment where it was: arms, allocation, statistics, served units", async () => {
    const store = new MemoryStore();
    const first = runtime(store);
    await first.runtime.restore();
    first.runtime.start();
    await first.runtime.flush();
    const experiment = first.router.experiment("checkout")!;
    expect(experiment).toBeDefined();
    for (let i = 0; i < 300; i++) {
      const arm = experiment.assign(`u${i}`);
      experiment.recordExposure(`u${i}`, arm.id);
      experiment.recordOutcome(`u${i}`, arm.id, { conversion: i % 3 === 0 ? 1 : 0 });
    }
    const before = experiment.snapshot(2_000, RUNNING);
    const status = first.runtime.experiment?.status;
    const assignments = Array.from({ length: 200 }, (_, i) => experiment.assign(`u${i}`).id);
    await first.runtime.stop();

    const second = runtime(store);
    await second.runtime.restore();
    second.runtime.start();
    await second.runtime.flush();
    const resumed = second.router.experiment("checkout")!;
    const view = second.runtime.experiment!;
    await second.runtime.stop();
    expect(resumed.id).toBe(experiment.id);
    expect(view.status).toBe(status);
    expect(resumed.weights).toEqual(experiment.weights);
    expect(Array.from({ length: 200 }, (_, i) => resumed.assign(`u${i}`).id)).toEqual(assignments);
    const after = resumed.snapshot(3_000, RUNNING);
    expect(after.units).toEqual(before.units);
    expect(after.units.reduce((a, b) => a + b, 0)).toBe(300);
    expect(after.periods.map((p) => p.kpis)).toEqual(before.periods.map((p) => p.kpis));
    // An outcome of a unit exposed before the restart is still attributed.
    expect(resumed.recordOutcome("u5", undefined, { conversion: 1 }).ok).toBe(true);
  });

  it("closes an experiment it cannot resume as killed, with the reason, and starts the next generation", async () => {
    const store = new MemoryStore();
    const first = runtime(store);
    await first.runtime.restore();
    first.runtime.start();
    await first.runtime.stop();
    await store.saveCheckpoint("checkout", null); // as after a crash before any checkpoint
    const second = runtime(store);
    await second.runtime.restore();
    second.runtime.start();
    await second.runtime.flush();
    const id = second.runtime.experiment?.id;
    await second.runtime.stop();
    const history = await store.read("checkout");
    expect(history.find((e) => e.kind === "transition" && e.to === "killed")).toMatchObject({ experiment: "checkout/g1", reason: expect.stringMatching(/not resumed: the daemon stopped without a checkpoint/) });
    expect(id).toBe("checkout/g2");
  });
});
