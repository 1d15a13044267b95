import { resolve } from "node:path";
import { asyncScheduler } from "rxjs";
import { seededRng } from "../random/seeded-rng.js";
import type { Mode, ModeWiring } from "../runtime/ports.js";
import { TargetRuntime } from "../runtime/target-runtime.js";
import { scaleOutMode } from "../scale/mode.js";
import { FileStore } from "../store/file-store.js";
import type { Settings } from "./settings.js";

/** Embedded: one process, the file store, each target's lifecycle run here. */
export function embeddedMode(dataDir: string, wiring: ModeWiring): Mode {
  const store = new FileStore(dataDir);
  return {
    store,
    description: { mode: "embedded", dataDir },
    createRuntime: (target, screen) =>
      new TargetRuntime({ target, store, clock: wiring.clock, scheduler: asyncScheduler, rng: seededRng(target.policy.seed), router: wiring.router, screen, bandit: wiring.bandit, log: wiring.log, observer: wiring.observer, journaling: true, ...(wiring.registries && target.stages ? { registries: () => wiring.registries?.(target) ?? target.functions } : {}) }),
    async release(runtime, _target, reason) {
      await runtime.kill(reason, "target_file");
      await runtime.stop();
    },
    start: async () => undefined,
    readiness: () => [],
    gauges: () => ({ unflushed: [] }),
    close: async () => undefined,
  };
}

/** The mode `settings` ask for, built once: scale-out with a Redis URL (docs/scale-out.md), else embedded. */
export async function createMode(settings: Settings, cwd: string, wiring: ModeWiring): Promise<Mode> {
  if (settings.redis === "") return embeddedMode(resolve(cwd, settings.dataDir), wiring);
  return scaleOutMode(
    {
      url: settings.redis,
      prefix: settings.redisPrefix,
      flushMs: settings.flushMs,
      syncMs: settings.syncMs,
      maxUnflushed: settings.maxUnflushed,
      lockMs: settings.jobLockMs,
      connectTimeoutMs: 5000,
      pauseBeforeCommitMs: settings.faultPauseBeforeCommitMs,
      log: wiring.log,
    },
    wiring,
  );
}
