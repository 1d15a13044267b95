import type { SideEffect } from "../domain/event.js";
import { getPath, type JsonValue } from "../domain/values.js";
import { settingBoundTo, type StageBindings } from "../stream/serving-state.js";
import type { EvaluationContext } from "../targeting/audience.js";
import type { Evaluation } from "./local-target.js";
import { StageError, type StageContext, type StageSet, type StageVersion } from "./stages.js";

/** What `run` answers: the output, the version that made it, and why that one. */
export interface StageRun {
  readonly output: unknown;
  /** The version that produced `output`. */
  readonly version: string;
  /** The version the unit is assigned (differs from `version` after a fallback or a missing version). */
  readonly assigned: string;
  /** The experiment arm the unit is in (as evaluate answers it), null outside an experiment. */
  readonly arm: string | null;
  /** The target's evaluation reason (SPLIT, STATIC, DEFAULT, STALE), or STAGE_MISSING when this SDK lacks the assigned version. */
  readonly reason: Evaluation["reason"] | "STAGE_MISSING";
  /** The assigned version failed (threw, timed out or broke its output schema): the baseline's ran instead. */
  readonly fallback: boolean;
  readonly error?: string;
}

/** What the interceptor needs of the client. */
export interface InterceptorHost {
  readonly stages: StageSet;
  readonly timeoutMs: number;
  /** The unit's evaluation without recording it, its segment's baseline values, and the target's stage bindings. */
  peek(target: string, unit: string, context: EvaluationContext): { result: Evaluation; baseline: JsonValue; bindings: StageBindings | undefined } | null;
  expose(target: string, unit: string, result: Evaluation, context: EvaluationContext): void;
  outcome(target: string, unit: string, arm: string, metrics: Record<string, number>, effects: readonly SideEffect[]): void;
  missing(target: string, stage: string, version: string): void;
}

/** Runs one version with a deadline; the failure's reason, or the output. */
async function attempt(v: StageVersion, input: unknown, context: StageContext, timeoutMs: number): Promise<{ output?: unknown; error?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)));
    const output = await Promise.race([v.call(input, context), deadline]);
    const broken = v.checkOutput(output);
    return broken ? { error: `output: ${broken}` } : { output };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The interceptor (docs/stages.md): routes a call of stage `stage` through the version `unit` is
 * assigned — the value of the target's setting bound to that stage — records the exposure,
 * checks input and output against the stage's schemas, and reports the run as an outcome on the
 * target's errorKpi (1 failed, 0 not) with the side effects it logged. A failing version falls
 * back to the baseline's; a version this SDK lacks runs the baseline's too, counted as
 * stage_missing and not exposed (the unit would not measure its arm).
 */
export async function runStage(host: InterceptorHost, target: string, stage: string, unit: string, input: unknown, context: EvaluationContext = {}): Promise<StageRun> {
  const peeked = host.peek(target, unit, context);
  if (!peeked) throw new StageError("unknown_target", `target "${target}" is not synced by this SDK`);
  const { result, baseline, bindings } = peeked;
  const path = settingBoundTo(bindings, stage);
  if (path === undefined || !bindings) throw new StageError("unbound_stage", `target "${target}" has no setting bound to stage "${stage}" (functions: {"<registry>": {"stage": "${stage}"}})`);
  const assigned = String(getPath(result.value as never, path));
  const base = String(getPath(baseline as never, path));
  const baseVersion = host.stages.get(stage, base);
  const effects: SideEffect[] = [];
  const contextFor = (version: string): StageContext => ({ target, unit, stage, version, effect: (kind, detail) => void effects.push({ stage, kind, ...(detail === undefined ? {} : { detail }) }) });
  let chosen = host.stages.get(stage, assigned);
  if (!chosen) {
    host.missing(target, stage, assigned);
    if (!baseVersion) throw new StageError("stage_missing", `stage "${stage}": neither the assigned version ${assigned.slice(0, 12)} nor the baseline's ${base.slice(0, 12)} is registered in this SDK`);
    chosen = baseVersion;
  }
  const badInput = chosen.checkInput(input);
  if (badInput) throw new StageError("invalid_input", `stage "${stage}" input: ${badInput}`);
  const missing = chosen.version !== assigned;
  if (!missing) host.expose(target, unit, result, context);
  const first = await attempt(chosen, input, contextFor(chosen.version), host.timeoutMs);
  // Outside an experiment (none live, outside its audience, stale) a run measures no arm: no outcome is sent.
  const arm = result.arm === null ? null : result.version;
  if (missing) {
    if (first.error !== undefined) throw new StageError("stage_failed", `stage "${stage}" baseline version ${base.slice(0, 12)} failed: ${first.error}`);
    return { output: first.output, version: base, assigned, arm: result.arm, reason: "STAGE_MISSING", fallback: false };
  }
  if (first.error === undefined) {
    if (arm !== null) host.outcome(target, unit, arm, { [bindings.errorKpi]: 0 }, effects);
    return { output: first.output, version: assigned, assigned, arm: result.arm, reason: result.reason, fallback: false };
  }
  // The assigned version failed: its error outcome goes to its arm (with every side effect,
  // the fallback's too), and the baseline answers.
  const canFallBack = baseVersion !== undefined && baseVersion.version !== assigned;
  const fallback = canFallBack ? await attempt(baseVersion, input, contextFor(base), host.timeoutMs) : null;
  if (arm !== null) host.outcome(target, unit, arm, { [bindings.errorKpi]: 1 }, effects);
  if (!fallback) throw new StageError("stage_failed", `stage "${stage}" version ${assigned.slice(0, 12)} failed: ${first.error}`);
  if (fallback.error !== undefined) throw new StageError("stage_failed", `stage "${stage}" version ${assigned.slice(0, 12)} failed (${first.error}), and so did the baseline's ${base.slice(0, 12)}: ${fallback.error}`);
  return { output: fallback.output, version: base, assigned, arm: result.arm, reason: result.reason, fallback: true, error: first.error };
}
