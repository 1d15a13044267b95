import type { Mode, ModeWiring } from "../runtime/ports.js";
import { ScaleOut, type ScaleOutOptions } from "./scale-out.js";
import type { SharedTarget } from "./shared-target.js";

/**
 * Scale-out: every target is a SharedTarget over Redis and bull (docs/scale-out.md). The mode
 * keeps its targets by name, so the job workers and the change listener find them.
 */
export async function scaleOutMode(options: ScaleOutOptions, wiring: ModeWiring): Promise<Mode> {
  const scaleOut = await ScaleOut.connect(options);
  const targets = new Map<string, SharedTarget>();
  return {
    store: scaleOut.store,
    description: { mode: "scale-out", redis: scaleOut.url, prefix: options.prefix },
    createRuntime(target, screen) {
      const shared = scaleOut.createTarget(target, screen, { router: wiring.router, bandit: wiring.bandit, clock: wiring.clock, observer: wiring.observer, onDropped: wiring.onStatsDropped });
      targets.set(target.name, shared);
      return shared;
    },
    unsupported(target) {
      // Quantile sketches and unit-total histograms live in one process; their merge across
      // instances is not built yet.
      const { primary, guardrails } = target.policy;
      // The SDKs' stage reports reach whichever instance they hit: not shared yet.
      const staged = Object.keys(target.stages ?? {}).map((r) => `functions.${r}: stage registries are not shared across instances yet; run target "${target.name}" embedded`);
      return [...staged, ...[primary, ...guardrails].flatMap((k, i) => {
        const where = i === 0 ? "policy.primary" : `policy.guardrails[${i - 1}]`;
        if (k.metric === "quantile") return [`${where}.metric: quantile metrics are not merged across instances yet; run target "${target.name}" embedded`];
        if (k.capPercentile !== undefined) return [`${where}.capPercentile: percentile caps are not merged across instances yet; cap at a fixed value (cap) or run target "${target.name}" embedded`];
        return [];
      })];
    },
    async release(runtime, target) {
      // The target lives on in the shared state for the other instances; this one lets go.
      // Its tick schedule goes too (a changed file may tick at another pace): instances still
      // running the target schedule it again at their next re-read.
      if (targets.get(target.name) === runtime) targets.delete(target.name);
      scaleOut.forget(target.name);
      await runtime.stop();
      await scaleOut.unschedule(target).catch((error: Error) => wiring.log.warn({ target: target.name, error: error.message }, "analysis tick not unscheduled"));
    },
    start: () => scaleOut.listen((name) => targets.get(name)),
    readiness: () => (scaleOut.ready ? [] : ["shared state (Redis) unreachable"]),
    gauges: () => ({ sharedState: { prefix: scaleOut.prefix, up: scaleOut.ready }, unflushed: [...targets].map(([name, shared]) => [name, shared.unflushed] as const) }),
    close: () => scaleOut.close(),
  };
}
