import { Subject } from "rxjs";
import { analyze, type ArmReading } from "../decide/analysis.js";
import type { ScreenedArm, Screener } from "../domain/ports.js";
import type { Version } from "../domain/version.js";
import { evidenceRules } from "../evidence/rules.js";
import { LiveExperiment } from "../stream/live-experiment.js";
import { transactionPipeline } from "../stream/pipeline.js";
import { ExperimentRouter } from "../stream/router.js";
import { Responder, type ResponseModel, type Segment } from "./response-model.js";
import { segmentOf } from "./traffic.js";

/** Skips screening: every candidate survives, in proposal order. */
export const noScreening: Screener = ({ candidates }) => ({
  survivors: candidates.map((version) => ({ version, score: 0, reason: "screening disabled", evidence: null })),
  rejected: [],
});

/**
 * Screening on a simulated stream: baseline and every candidate split evenly, `unitsPerArm`
 * simulated units each, through the same transaction pipeline as live traffic. A candidate is
 * rejected when any guardrail degrades beyond its tolerance (point estimate: simulation is cheap,
 * so screening is strict), its circuit breaker trips, or its primary is significantly worse.
 */
export function simulationScreener(model: ResponseModel, segments: readonly Segment[]): Screener {
  const responder = new Responder(model);
  return Object.assign(screen, { covers: (path: string, value: unknown) => modelCovers(model, path, value) });
  function screen(input: Parameters<Screener>[0]): ReturnType<Screener> {
    const { target, baseline, candidates, rng, now } = input;
    if (candidates.length === 0) return { survivors: [], rejected: [] };
    const arms = [baseline, ...candidates];
    const experiment = new LiveExperiment({
      id: `screening:${target.name}/g${input.generation}`,
      target: target.name,
      generation: input.generation,
      arms,
      weights: arms.map(() => 1),
      now,
      ...evidenceRules(target.policy),
    });
    const router = new ExperimentRouter();
    router.setBaseline(target.name, baseline);
    router.setExperiment(target.name, experiment);
    const lines = new Subject<unknown>();
    const subscription = transactionPipeline(lines, router).subscribe();
    const units = target.policy.screening.unitsPerArm * arms.length;
    for (let i = 0; i < units; i++) {
      const unit = `screen${i}`;
      const served = experiment.assign(unit);
      lines.next({ type: "exposure", target: target.name, unit, ts: now, arm: served.id });
      const metrics = responder.respond(served.id, served.values, segmentOf(unit, segments).name, rng);
      lines.next({ type: "outcome", target: target.name, unit, ts: now, arm: served.id, metrics });
    }
    subscription.unsubscribe();
    const analysis = analyze(experiment.snapshot(now, { status: "running", canaryStep: 0 }), target.policy);
    const survivors: ScreenedArm[] = [];
    const rejected: ScreenedArm[] = [];
    analysis.arms.forEach((reading, i) => {
      const version = candidates[i] as Version;
      const effect = reading.primary.comparison?.effect ?? 0;
      const score = target.policy.primary.direction === "increase" ? effect : -effect;
      const verdict = screeningVerdict(reading);
      const evidence = { units: reading.units, primary: reading.primary.comparison && { kpi: reading.primary.kpi, ...reading.primary.comparison }, guardrails: reading.guardrails.map((g) => ({ kpi: g.kpi, effect: g.comparison?.effect ?? null, se: g.comparison?.se ?? null })) };
      (verdict ? rejected : survivors).push({ version, score, reason: verdict ?? "passed screening", evidence });
    });
    survivors.sort((a, b) => b.score - a.score);
    return { survivors, rejected };
  }
}

/**
 * Whether some KPI's model has a `levels` term naming `value` of `path`: what a stage version
 * (an opaque id) needs to be simulated. Asked only of stage settings (lifecycle/generation.ts).
 */
export function modelCovers(model: ResponseModel, path: string, value: unknown): boolean {
  if (typeof value !== "string") return true;
  return Object.values(model).some((kpi) => (kpi.terms ?? []).some((t) => "levels" in t && t.path === path && Object.hasOwn(t.levels, value)));
}

function screeningVerdict(reading: ArmReading): string | null {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const beyond = reading.guardrails.find((g) => g.beyondTolerance || g.breached);
  if (beyond) return `guardrail ${beyond.kpi} degraded by ${pct(Math.abs(beyond.comparison?.effect ?? 0))} in simulation (tolerance ${pct(beyond.tolerance)})`;
  if (reading.breaker) return `circuit breaker: ${reading.breaker.kpi} at ${pct(reading.breaker.rate)} in simulation, hard limit ${pct(reading.breaker.limit)}`;
  if (reading.primary.verdict === "worse") return `${reading.primary.kpi} significantly worse in simulation`;
  return null;
}
