import { getPath } from "../../domain/values.js";
import { settingBoundTo } from "../../stream/serving-state.js";
import type { EvaluationContext } from "../../targeting/audience.js";
import type { EvolvdClient } from "../client.js";
import type { SwapReport } from "./slot.js";

/** One active version that can be swapped: a ComponentWorker's slot, or a ComponentSlot in process. */
export interface SwapTarget {
  active(): string | null;
  swap(version: string): Promise<SwapReport>;
}

/**
 * Keeps one unit's active version of `component` (a page: one user) on the version evolvd
 * assigns it, swapping on every state that changes it — a commit, a rollback, a kill, a
 * reallocation — without reloading anything. A swap that reverts is reported as an error
 * outcome of the assigned version's arm on the target's errorKpi, and that version is not tried
 * again for this unit until the assignment changes. Until the target is synced and binds the
 * component, nothing is swapped (the slot keeps what it runs).
 */
export function followAssignment(client: EvolvdClient, slot: SwapTarget, options: { target: string; component: string; unit: string; context?: EvaluationContext; onSwap?: (report: SwapReport) => void }): { stop(): void; settled(): Promise<void> } {
  const { target, component, unit } = options;
  let refused: string | null = null;
  let chain: Promise<void> = Promise.resolve();
  const check = async (): Promise<void> => {
    const state = client.serving(target);
    const path = settingBoundTo(state?.stages, component);
    if (!state || path === undefined) return;
    const result = client.evaluate(target, unit, options.context ?? {});
    const assigned = String(getPath(result.value as never, path));
    if (assigned === slot.active() || assigned === refused) return;
    refused = null;
    const report = await slot.swap(assigned);
    if (report.reverted) {
      refused = assigned;
      if (result.arm !== null) client.report(target, unit, result.version, { [state.stages?.errorKpi ?? "error"]: 1 });
    }
    options.onSwap?.(report);
  };
  const queue = () => (chain = chain.then(check, check));
  const stop = client.onStateChange(queue);
  queue();
  return { stop, settled: () => chain };
}
