import { basename, dirname, resolve } from "node:path";
import { sha256 } from "../config/canonical.js";
import { parseTarget } from "../config/target-file.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../domain/logger.js";
import type { Target } from "../domain/target.js";
import { checkAgainstTarget, loadScenarioFile } from "../sim/scenario.js";
import type { Screener } from "../domain/ports.js";
import { noScreening, simulationScreener } from "../sim/screening.js";
import type { ExperimentRouter } from "../stream/router.js";
import type { LoadedTarget as Loaded, RejectedDrop, TargetControl, TargetDirectory } from "../runtime/ports.js";

export type { RejectedDrop } from "../runtime/ports.js";

export interface TargetRegistryDeps {
  readonly router: ExperimentRouter;
  readonly clock: Clock;
  readonly log: Logger;
  /** Makes the runtime of a valid target: the Optimizer embedded, a SharedTarget in scale-out. */
  readonly createRuntime: (target: Target, screen: Screener) => TargetControl;
  /** What the mode cannot run of a valid target (refused like an invalid file). */
  readonly unsupported?: (target: Target) => readonly string[];
  /**
   * Called when this instance stops running a target (file changed or removed). Embedded, its
   * experiment ends; in scale-out it lives on in the shared state, for the other instances.
   */
  readonly release: (runtime: TargetControl, target: Target, reason: string) => Promise<void>;
  /** Called with a reason whenever a drop file is refused (metrics). */
  readonly onRejected?: (reason: string) => void;
}

/**
 * The targets the daemon optimizes, one Optimizer each, driven by files in the drop folder.
 * A file is validated before anything changes: an invalid file is refused with its reasons and
 * the last good configuration of its target stays in force.
 */
export class TargetRegistry implements TargetDirectory {
  private readonly byName = new Map<string, Loaded>();
  private readonly rejected = new Map<string, RejectedDrop>();
  private readonly killFiles = new Set<string>();

  constructor(private readonly deps: TargetRegistryDeps) {}

  get targets(): readonly Loaded[] {
    return [...this.byName.values()].sort((a, b) => a.target.name.localeCompare(b.target.name));
  }
  runtime(name: string): TargetControl | undefined {
    return this.byName.get(name)?.runtime;
  }
  get rejectedDrops(): readonly RejectedDrop[] {
    return [...this.rejected.values()];
  }

  /** A target file appeared or changed. Returns the problems when it was refused. */
  async applyFile(file: string, text: string): Promise<readonly string[]> {
    const { log } = this.deps;
    const hash = sha256(text);
    const current = [...this.byName.values()].find((l) => l.file === file);
    if (current?.hash === hash) {
      // Back to the configuration in force (after a refused edit): nothing to reload, nothing refused.
      this.rejected.delete(file);
      return [];
    }
    const parsed = parseTarget(text, file);
    let problems: readonly string[] = parsed.ok ? [] : parsed.error.problems;
    let reason = "invalid_target_file";
    let screen: Screener = noScreening;
    if (parsed.ok) {
      const owner = this.byName.get(parsed.value.name);
      const unsupported = this.deps.unsupported?.(parsed.value) ?? [];
      if (owner && owner.file !== file) {
        problems = [`target "${parsed.value.name}" is already defined by ${owner.file}`];
        reason = "duplicate_target";
      } else if (unsupported.length > 0) {
        problems = unsupported;
        reason = "unsupported_in_mode";
      } else {
        const screening = this.screenerFor(parsed.value);
        if (Array.isArray(screening)) {
          problems = screening;
          reason = "invalid_screening_scenario";
        } else screen = screening as Screener;
      }
    }
    if (problems.length > 0 || !parsed.ok) {
      this.refuse(file, problems, reason);
      return problems;
    }
    this.rejected.delete(file);
    const target = parsed.value;
    if (current && current.target.name !== target.name) await this.unload(current, "target file now defines another target");
    const previous = this.byName.get(target.name);
    if (previous) await this.unload(previous, "target file changed");
    const runtime = this.deps.createRuntime(target, screen);
    await runtime.restore();
    if (this.killFiles.has(target.name)) await runtime.kill(`kill file ${target.name}.kill present`);
    runtime.start();
    this.byName.set(target.name, { file, hash, target, runtime });
    // Applied means served: the baseline and first experiment reach the router once durable.
    await runtime.flush().catch((error: Error) => log.error({ file, target: target.name, error: error.message }, "target applied, but its history is not durable yet; serving the last durable state"));
    log.info({ file, target: target.name, baseline: runtime.baseline.id }, previous ? "target file applied (changed)" : "target file applied");
    return [];
  }

  /**
   * Records why a drop file was refused (listed in rejectedDrops and counted); the last good
   * configuration of its target, if any, stays in force.
   */
  refuse(file: string, problems: readonly string[], reason = "invalid_target_file"): void {
    const kept = [...this.byName.values()].find((l) => l.file === file)?.target.name ?? null;
    this.rejected.set(file, { file, at: this.deps.clock.now(), problems });
    this.deps.onRejected?.(reason);
    this.deps.log.error({ file, problems, kept }, "target file rejected; the last good configuration stays in force");
  }

  /** A target file disappeared: its experiments stop; its history is kept. */
  async removeFile(file: string): Promise<void> {
    this.rejected.delete(file);
    const loaded = [...this.byName.values()].find((l) => l.file === file);
    if (loaded) {
      await this.unload(loaded, "target file removed");
      this.deps.router.removeTarget(loaded.target.name);
    }
  }

  /** The kill file of a target appeared (kill) or disappeared (resume). */
  async setKillFile(target: string, present: boolean): Promise<void> {
    if (present === this.killFiles.has(target)) return;
    if (present) this.killFiles.add(target);
    else this.killFiles.delete(target);
    const runtime = this.byName.get(target)?.runtime;
    if (!runtime) return;
    this.deps.log.warn({ target, killed: present }, present ? "kill switch on (kill file)" : "kill switch off (kill file removed)");
    try {
      if (present) await runtime.kill(`kill file ${target}.kill`);
      else await runtime.resume();
    } catch (error) {
      this.deps.log.error({ target, killed: present, error: (error as Error).message }, "kill file applied on this instance; the shared switch follows when Redis is back");
    }
  }

  /** Stops every target's runtime and waits for its writes. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.byName.values()].map((l) => l.runtime.stop()));
  }

  private async unload(loaded: Loaded, reason: string): Promise<void> {
    await this.deps.release(loaded.runtime, loaded.target, reason);
    this.byName.delete(loaded.target.name);
    this.deps.log.info({ file: loaded.file, target: loaded.target.name, reason }, "target unloaded");
  }

  /** The screening simulator named by the target's policy, or the problems with it. */
  private screenerFor(target: Target): Screener | string[] {
    const scenarioPath = target.policy.screening.scenario;
    if (scenarioPath === null) return noScreening;
    const file = resolve(dirname(target.source ?? "."), scenarioPath);
    const scenario = loadScenarioFile(file);
    if (!scenario.ok) return [`policy.screening.scenario: ${scenario.error.message}`];
    const mismatch = checkAgainstTarget(scenario.value, target);
    if (mismatch.length) return mismatch.map((m) => `policy.screening.scenario (${basename(file)}): ${m}`);
    const model = scenario.value.screeningModel ?? scenario.value.model;
    return model ? simulationScreener(model, scenario.value.traffic.segments) : noScreening;
  }
}
