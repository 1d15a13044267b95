import { getPath } from "../../domain/values.js";
import { settingBoundTo, type ServingState, type StageBindings } from "../../stream/serving-state.js";
import type { EvaluationContext } from "../../targeting/audience.js";
import type { Evaluation } from "../local-target.js";
import { ComponentInstance } from "./instance.js";
import { ComponentError, type ComponentRegistry } from "./registry.js";
import type { SwapReport } from "./slot.js";

/** What the manager needs of the client. */
export interface ComponentHost {
  /** The unit's evaluation without recording it, its segment's baseline values, the target's bindings. */
  peek(target: string, unit: string, context: EvaluationContext): { result: Evaluation; baseline: unknown; bindings: StageBindings | undefined } | null;
  /** Records the exposure; whether it was news (the unit's first in this arm). */
  expose(target: string, unit: string, result: Evaluation, context: EvaluationContext): boolean;
  outcome(target: string, unit: string, arm: string, metrics: Record<string, number>): void;
  missing(target: string, component: string, version: string): void;
  /** The serving states synced now. */
  states(): Iterable<ServingState>;
  now(): number;
}

/** A unit's route through a component: the version its calls run, and why. */
export interface ComponentHandle {
  /** The module version the calls run. */
  readonly version: string;
  /** The version the unit is assigned (another when it is missing here, still starting, or failed). */
  readonly assigned: string;
  readonly arm: string | null;
  readonly reason: Evaluation["reason"] | "STAGE_MISSING" | "STARTING" | "COMPONENT_FAILED";
  /** Calls a function of the component's world; a trap of the assigned version falls back to the baseline's. */
  call(name: string, ...args: unknown[]): unknown;
}

interface Running {
  instance: ComponentInstance | null;
  failed: string | null;
}

/**
 * The experiment manager of a service (docs/components.md): a component is a target setting,
 * bound like a stage (functions: {"<registry>": {"stage": "<component>"}}), and evolvd's
 * assignment picks the version each unit runs. A service serves units of several arms at once,
 * so the manager keeps one instance per version in the assignment (baselines and arms of every
 * target bound to the component) and routes each call by the unit's arm. A version entering the
 * assignment starts from the state of the baseline whose units it takes; one leaving gives its
 * state to the version that takes its units when that one enters with it (a rollback), and is
 * dropped. A version that fails to start or traps is reported as an error outcome of its arm on
 * the target's errorKpi, and its units run the baseline's version.
 */
export class ComponentManager {
  private readonly running = new Map<string, Map<string, Running>>();
  private readonly baselines = new Map<string, string>();
  private readonly listeners = new Set<(report: SwapReport) => void>();
  private settled: Promise<void> = Promise.resolve();

  constructor(
    readonly registry: ComponentRegistry,
    private readonly host: ComponentHost,
  ) {}

  /** Listens to every version started (or failed to start) by the assignment. */
  onSwap(listener: (report: SwapReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every version start under way (from any state change or registration) has started or failed. */
  ready(): Promise<void> {
    return this.settled;
  }

  /** The versions running now, by component (the ones that failed excluded). */
  runningVersions(component: string): string[] {
    return [...(this.running.get(component) ?? [])].filter(([, r]) => r.instance !== null).map(([v]) => v);
  }

  /**
   * Brings the running versions in line with the assignment of every synced target (called on
   * every state change and registration). A failed version stays failed while it is in the
   * assignment (it is not retried on every state); one that leaves and comes back is tried again.
   */
  reconcile(): Promise<void> {
    const wanted = new Map<string, { versions: Set<string>; baseline: string | null }>();
    for (const state of this.host.states()) {
      for (const [path, component] of Object.entries(state.stages?.settings ?? {})) {
        const baselineVersion = String(getPath(state.baseline.values as never, path));
        if (!this.registry.has(component, baselineVersion) && !this.knows(component)) continue;
        const entry = wanted.get(component) ?? { versions: new Set<string>(), baseline: null };
        const add = (values: unknown) => entry.versions.add(String(getPath(values as never, path)));
        entry.versions.add(baselineVersion);
        entry.baseline ??= baselineVersion;
        for (const s of Object.values(state.segments?.baselines ?? {})) add(s.values);
        for (const arm of state.experiment?.arms ?? []) add(arm.values);
        wanted.set(component, entry);
      }
    }
    const starts: Promise<void>[] = [];
    for (const [component, { versions, baseline }] of wanted) {
      const running = this.running.get(component) ?? new Map<string, Running>();
      this.running.set(component, running);
      // The state entering versions start from: the baseline's before this change (a commit keeps it, a rollback carries it back).
      const donor = running.get(this.baselines.get(component) ?? "")?.instance ?? running.get(baseline ?? "")?.instance ?? null;
      for (const version of versions) if (!running.has(version) && this.registry.has(component, version)) starts.push(this.start(component, version, donor, running));
      for (const version of [...running.keys()]) if (!versions.has(version)) running.delete(version);
      if (baseline !== null) this.baselines.set(component, baseline);
    }
    // Chained: a reconcile that starts nothing still waits for the starts an earlier one began.
    this.settled = Promise.all([this.settled, ...starts]).then(() => undefined);
    return this.settled;
  }

  private knows(component: string): boolean {
    return this.registry.versions(component).length > 0;
  }

  private async start(component: string, version: string, donor: ComponentInstance | null, running: Map<string, Running>): Promise<void> {
    const entry: Running = { instance: null, failed: null };
    const from = donor?.version ?? null;
    let state: Uint8Array = new Uint8Array(0);
    running.set(version, entry);
    const started = this.host.now();
    let failedAt: SwapReport["failedAt"] = "load";
    try {
      const module = await this.registry.module(component, version);
      failedAt = "instantiate";
      const instance = await ComponentInstance.create(version, module, this.registry.worldOf(component));
      failedAt = "initialize";
      // Captured only now, with no pause before the new instance takes it: nothing the donor learned meanwhile is lost.
      if (donor) state = donor.capture();
      instance.initialize(state);
      entry.instance = instance;
      this.tell({ component, from, to: version, statePreserved: state.length > 0, reverted: false, ms: this.host.now() - started });
    } catch (error) {
      entry.failed = `${failedAt}: ${error instanceof Error ? error.message : String(error)}`;
      this.tell({ component, from, to: version, statePreserved: false, reverted: true, failedAt, error: entry.failed, ms: this.host.now() - started });
    }
  }

  private tell(report: SwapReport): void {
    for (const listener of this.listeners) {
      try {
        listener(report);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** The route of `unit` through `component` for `target`: records the exposure (and the error outcome of a failed version). */
  use(target: string, component: string, unit: string, context: EvaluationContext = {}): ComponentHandle {
    const peeked = this.host.peek(target, unit, context);
    if (!peeked) throw new ComponentError("unknown_target", `target "${target}" is not synced by this SDK`);
    const { result, baseline, bindings } = peeked;
    const path = settingBoundTo(bindings, component);
    if (path === undefined || !bindings) throw new ComponentError("unbound_component", `target "${target}" has no setting bound to component "${component}" (functions: {"<registry>": {"stage": "${component}"}})`);
    const assigned = String(getPath(result.value as never, path));
    const base = String(getPath(baseline as never, path));
    const running = this.running.get(component);
    const own = running?.get(assigned);
    const fallback = running?.get(base)?.instance ?? null;
    const arm = result.arm === null ? null : result.version;
    const errorKpi = bindings.errorKpi;
    if (own?.instance && own.failed === null) {
      if (this.host.expose(target, unit, result, context) && arm !== null) this.host.outcome(target, unit, arm, { [errorKpi]: 0 });
      return this.handle(own.instance, own, fallback, assigned, arm, result.reason, () => {
        if (arm !== null) this.host.outcome(target, unit, arm, { [errorKpi]: 1 });
      });
    }
    if (!fallback) throw new ComponentError("unknown_version", `component "${component}": neither the assigned version ${assigned.slice(0, 12)} nor the baseline's ${base.slice(0, 12)} runs in this SDK`);
    let reason: ComponentHandle["reason"] = "STARTING";
    if (own?.failed) {
      reason = "COMPONENT_FAILED";
      // The unit is in the failed version's arm: its failure is that arm's error outcome.
      if (arm !== null) this.host.outcome(target, unit, arm, { [errorKpi]: 1 });
    } else if (!this.registry.has(component, assigned)) {
      reason = "STAGE_MISSING";
      this.host.missing(target, component, assigned);
    }
    return this.handle(fallback, null, null, assigned, arm, reason, () => {});
  }

  /** `own`: the assigned version's entry when `instance` is it (a trap then fails it and falls back); null when `instance` is the fallback already. */
  private handle(instance: ComponentInstance, own: Running | null, fallback: ComponentInstance | null, assigned: string, arm: string | null, reason: ComponentHandle["reason"], failed: () => void): ComponentHandle {
    return {
      version: instance.version,
      assigned,
      arm,
      reason,
      call: (name, ...args) => {
        if (own?.failed && fallback) return fallback.call(name, args);
        try {
          return instance.call(name, args);
        } catch (error) {
          if (!own || !fallback || fallback === instance) throw error;
          // A trap may leave the instance half-updated: the version is failed for every later call too.
          own.failed = `trap: ${error instanceof Error ? error.message : String(error)}`;
          failed();
          return fallback.call(name, args);
        }
      },
    };
  }
}
