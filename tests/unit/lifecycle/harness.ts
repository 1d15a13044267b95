import { twinEngine } from "../../../src/bandit/twin.js";
import type { HistoryEntry } from "../../../src/domain/history.js";
import type { Screener } from "../../../src/domain/ports.js";
import type { Policy, Target } from "../../../src/domain/target.js";
import { evidenceRules } from "../../../src/evidence/rules.js";
import type { Effect } from "../../../src/lifecycle/effects.js";
import type { Input, StepContext } from "../../../src/lifecycle/inputs.js";
import { restore } from "../../../src/lifecycle/restore.js";
import type { TargetState } from "../../../src/lifecycle/state.js";
import { step, type Step } from "../../../src/lifecycle/step.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { noScreening } from "../../../src/sim/screening.js";
import { LiveExperiment } from "../../../src/stream/live-experiment.js";
import { checkoutTarget } from "../../helpers.js";

/** How an arm behaves: conversion and error probabilities, mean latency. */
export interface ArmWorld {
  readonly conversion: number;
  readonly error: number;
  readonly latency: number;
}
export const NEUTRAL: ArmWorld = { conversion: 0.2, error: 0.01, latency: 100 };

/** checkout with a policy small enough to decide in a few thousand units. */
export function smallTarget(policy: Partial<Policy> = {}): Target {
  const base = checkoutTarget();
  return {
    ...base,
    policy: { ...base.policy, minUnitsPerArm: 300, maxUnitsPerArm: 1_500, sequentialTuning: 1_000, canary: { steps: [0.2, 0.5], minUnitsPerStep: 60 }, ...policy },
  };
}

/**
 * The lifecycle alone, plain data in and out: `step` is fed inputs, and its effects are applied
 * to a history array and to an in-memory LiveExperiment fed seeded synthetic traffic — no
 * store, no router, no timers. `propose` effects are answered at once, as embedded mode does.
 */
export function harness(options: { readonly target?: Target; readonly screen?: Screener; readonly seed?: string } = {}) {
  const target = options.target ?? smallTarget();
  const ctx: StepContext = { target, rng: seededRng("lifecycle"), screen: options.screen ?? noScreening, bandit: twinEngine };
  const traffic = seededRng(options.seed ?? "traffic");
  const restored = restore({ target, history: [], checkpoint: null, now: 0 });
  const history: HistoryEntry[] = [];
  const effects: Effect[] = [];
  let state: TargetState = restored.state;
  let live: LiveExperiment | null = null;
  /** False while the experiment is paused: its arms get no traffic. */
  let serving = true;
  let units = 0;
  let now = 0;

  const apply = (list: readonly Effect[]): void => {
    for (const effect of list) {
      effects.push(effect);
      if (effect.kind === "append") history.push(...effect.entries);
      else if (effect.kind === "start_experiment") {
        const { plan } = effect;
        live = new LiveExperiment({ id: plan.id, target: target.name, generation: plan.generation, arms: plan.arms, weights: plan.weights, now: plan.now, ...evidenceRules(target.policy), ...(plan.aliases ? { aliases: plan.aliases } : {}) });
        serving = true;
      } else if (effect.kind === "end_experiment") live = null;
      else if (effect.kind === "pause_experiment") serving = false;
      else if (effect.kind === "unpause_experiment") serving = true;
      else if (effect.kind === "pull") live?.pull(effect.arm, effect.at);
      else if (effect.kind === "set_weights") live?.setWeights(effect.weights, effect.at);
    }
    for (const effect of list) if (effect.kind === "propose") send({ kind: "propose", now, generation: effect.generation });
  };

  const send = (input: Input): Step => {
    const result = step(state, input, ctx);
    state = result.state;
    apply(result.effects);
    return result;
  };
  apply(restored.effects);

  return {
    target,
    ctx,
    history,
    effects,
    get state(): TargetState {
      return state;
    },
    get live(): LiveExperiment | null {
      return live;
    },
    send,
    /** `n` new units exposed and each given one outcome, arm by arm as `world` says (index 0: baseline). */
    serve(n: number, world: (arm: number) => ArmWorld = () => NEUTRAL): void {
      if (!live || !serving) return;
      for (let i = 0; i < n; i++) {
        const unit = `u${units++}`;
        const arm = live.assign(unit);
        const index = live.indexOf(arm.id) ?? 0;
        const w = world(index);
        live.recordExposure(unit, arm.id);
        live.recordOutcome(unit, arm.id, { conversion: traffic.next() < w.conversion ? 1 : 0, error: traffic.next() < w.error ? 1 : 0, latency_ms: w.latency * (0.5 + traffic.next()) }, now);
      }
    },
    /** One analysis tick, `ms` after the last input. */
    tick(ms = target.policy.analysisEveryMs): Step {
      now += ms;
      const lifecycle = state.kind === "live" ? state.experiment : null;
      return send({ kind: "tick", now, snapshot: live && lifecycle ? live.snapshot(now, lifecycle) : null });
    },
    /** Whether the live experiment's arms take traffic now (false while paused). */
    get serving(): boolean {
      return live !== null && serving;
    },
    at(ms = 1): number {
      return (now += ms);
    },
  };
}

/** The statuses each experiment went through, from its transition entries. */
export function paths(history: readonly HistoryEntry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of history) {
    if (e.kind !== "transition") continue;
    const path = out.get(e.experiment) ?? [e.from];
    path.push(e.to);
    out.set(e.experiment, path);
  }
  return out;
}
