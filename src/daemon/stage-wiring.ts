import type { Logger } from "../domain/logger.js";
import type { HistoryStore } from "../domain/ports.js";
import type { Target } from "../domain/target.js";
import type { Metrics } from "../metrics/metrics.js";
import { StageRegistry } from "../stages/registry.js";
import { SideEffectLog } from "../stages/side-effects.js";
import type { Processed } from "../stream/processed.js";
import type { StageBindings } from "../stream/serving-state.js";
import { systemClock } from "../system-clock.js";

/** How often side effects are written to the history (ms). */
const EFFECTS_FLUSH_MS = 5_000;

/**
 * The daemon's part in pipeline stages (docs/stages.md): the registry the SDKs report to (and
 * the registries a generation draws from), the settings each target's stages are bound to (sent
 * with the serving state), and the side effects outcomes carry, written to each target's
 * history every EFFECTS_FLUSH_MS and at stop.
 */
export function stageWiring(metrics: Metrics, targets: () => readonly Target[], log: Logger) {
  const registry = new StageRegistry(45_000, (m) => metrics.stageMissing.inc({ target: m.target, stage: m.stage }, m.count));
  const effects = new SideEffectLog();
  let store: HistoryStore | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;

  const flush = async (): Promise<void> => {
    if (!store) return;
    for (const [target, entries] of effects.drain(systemClock.now())) {
      try {
        await store.append(target, entries);
      } catch (error) {
        log.error({ target, error: (error as Error).message }, "side effects could not be written to the history");
      }
    }
  };

  return {
    registry,
    /** A target's registries now: the file's lists, and each stage's versions every syncing SDK reports. */
    registries: (target: Target): Readonly<Record<string, readonly string[]>> => {
      const now = systemClock.now();
      const out: Record<string, readonly string[]> = { ...target.functions };
      for (const [name, stage] of Object.entries(target.stages ?? {})) out[name] = registry.available(stage, target.name, now);
      return out;
    },
    bindings: (name: string): StageBindings | undefined => {
      const target = targets().find((t) => t.name === name);
      if (!target?.stages) return undefined;
      const settings = Object.fromEntries(target.schema.flatMap((leaf) => (leaf.kind === "function" && leaf.stage !== undefined ? [[leaf.path, leaf.stage]] : [])));
      return { settings, errorKpi: target.policy.errorKpi };
    },
    /** Keeps the side effects of an accepted or ignored outcome. Never throws. */
    observe(processed: Processed): void {
      try {
        if (processed.kind === "rejected" || processed.event.type !== "outcome" || !processed.event.effects?.length) return;
        const event = processed.event;
        const list = event.effects ?? [];
        // An outcome that arrives after its experiment ended (ignored) still names the version that ran.
        const version = processed.kind === "accepted" ? processed.experiment.arms[processed.arm]?.id : event.arm;
        for (const e of list) metrics.sideEffects.inc({ target: event.target, kind: `${e.stage}:${e.kind}` });
        if (version) effects.record(event.target, version, list, event.ts);
      } catch (error) {
        log.error({ error: (error as Error).message }, "side effects could not be kept");
      }
    },
    start(historyStore: HistoryStore): void {
      store = historyStore;
      timer = setInterval(() => void flush(), EFFECTS_FLUSH_MS);
      timer.unref?.();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}
