import { describe, expect, it } from "vitest";
import { asyncScheduler } from "rxjs";
import { silentLogger } from "../../src/domain/logger.js";
import { Optimizer } from "../../src/loop/optimizer.js";
import { twinEngine } from "../../src/bandit/twin.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { noScreening } from "../../src/sim/screening.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { ExperimentRouter } from "../../src/stream/router.js";
import { checkoutTarget } from "../helpers.js";

function optimizer(store: MemoryStore, router = new ExperimentRouter()) {
  let now = 1_000;
  const target = checkoutTarget();
  return {
    router,
    clock: { now: () => now, advance: (ms: number) => (now += ms) },
    optimizer: new Optimizer({ target, store, clock: { now: () => now }, scheduler: asyncScheduler, rng: seededRng(target.policy.seed), router, screen: noScreening, bandit: twinEngine, log: silentLogger }),
  };
}

describe("resuming after a restart", () => {
  it("picks up the live experiment where it was: arms, allocation, statistics, served units", async () => {
    const store = new MemoryStore();
    const first = optimizer(store);
    await first.optimizer.restore();
    first.optimizer.start();
    const experiment = first.optimizer.experiment!;
    for (let i = 0; i < 300; i++) {
      const arm = experiment.assign(`u${i}`);
      experiment.recordExposure(`u${i}`, arm.id);
      experiment.recordOutcome(`u${i}`, arm.id, { conversion: i % 3 === 0 ? 1 : 0 });
    }
    const before = experiment.snapshot(2_000);
    const assignments = Array.from({ length: 200 }, (_, i) => experiment.assign(`u${i}`).id);
    await first.optimizer.stop();

    const second = optimizer(store);
    await second.optimizer.restore();
    second.optimizer.start();
    const resumed = second.optimizer.experiment!;
    await second.optimizer.stop();
    expect(resumed.id).toBe(experiment.id);
    expect(resumed.status).toBe(experiment.status);
    expect(resumed.weights).toEqual(experiment.weights);
    expect(Array.from({ length: 200 }, (_, i) => resumed.assign(`u${i}`).id)).toEqual(assignments);
    const after = resumed.snapshot(3_000);
    expect(after.units).toEqual(before.units);
    expect(after.periods.map((p) => p.kpis)).toEqual(before.periods.map((p) => p.kpis));
    // An outcome of a unit exposed before the restart is still attributed.
    expect(resumed.recordOutcome("u5", undefined, { conversion: 1 }).ok).toBe(true);
  });

  it("closes an experiment it cannot resume as killed, with the reason, and starts the next generation", async () => {
    const store = new MemoryStore();
    const first = optimizer(store);
    await first.optimizer.restore();
    first.optimizer.start();
    await first.optimizer.stop();
    await store.saveCheckpoint("checkout", null); // as after a crash before any checkpoint
    const second = optimizer(store);
    await second.optimizer.restore();
    second.optimizer.start();
    await second.optimizer.stop();
    const history = await store.read("checkout");
    expect(history.find((e) => e.kind === "transition" && e.to === "killed")).toMatchObject({ experiment: "checkout/g1", reason: expect.stringMatching(/not resumed: the daemon stopped without a checkpoint/) });
    expect(second.optimizer.experiment?.id).toBe("checkout/g2");
  });
});
