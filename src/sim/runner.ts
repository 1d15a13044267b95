import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { Subject, VirtualTimeScheduler } from "rxjs";
import { parsePolicy } from "../config/policy.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../domain/logger.js";
import type { Policy, Target } from "../domain/target.js";
import type { VersionId } from "../domain/version.js";
import { perSegment } from "./segment-truth.js";
import { loadBanditEngine } from "../bandit/kernel.js";
import type { GenerationRecord } from "../lifecycle/records.js";
import { TargetRuntime } from "../runtime/target-runtime.js";
import { seededRng } from "../random/seeded-rng.js";
import { poisson } from "./poisson.js";
import type { HistoryStore } from "../domain/ports.js";
import { transactionPipeline } from "../stream/pipeline.js";
import { ExperimentRouter } from "../stream/router.js";
import { pooled, pooledMean } from "../decide/analysis.js";
import { Responder, trueKpi, type ResponseModel } from "./response-model.js";
import type { Scenario } from "./scenario.js";
import { noScreening, simulationScreener } from "./screening.js";
import { arrivals } from "./traffic.js";

/** Virtual time starts here, so simulated timestamps look like real ones and never vary. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1);

export interface SimulationOptions {
  readonly scenario: Scenario;
  readonly target: Target;
  /** Overrides the scenario's seed; it also becomes the policy seed of the run. */
  readonly seed?: string;
  readonly store: HistoryStore;
  readonly log: Logger;
  /** Called every few thousand visits with the share of the run done (0–1). */
  readonly onProgress?: (done: number) => void;
  /** Receives every event line the simulated applications send (for `--record`). */
  readonly record?: (line: string) => void;
  /** Stops after this many visits (benchmarks compare strategies at equal traffic). */
  readonly maxVisits?: number;
}

export interface ArmReport {
  readonly version: VersionId;
  readonly role: "baseline" | "candidate";
  readonly mutations: unknown;
  readonly units: number;
  readonly pulled: boolean;
  readonly kpis: Record<string, { n: number; mean: number }>;
  /** True expected KPIs under the scenario's model (absent for a replay). */
  readonly truth: Record<string, number> | null;
}

export interface GenerationReport {
  readonly generation: number;
  readonly experiment: string;
  readonly status: string;
  readonly reason: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly proposed: number;
  readonly dropped: number;
  readonly rejected: readonly { version: VersionId; reason: string }[];
  readonly pulled: readonly { version: VersionId; reason: string }[];
  readonly arms: readonly ArmReport[];
  readonly committed: VersionId | null;
}

export interface SimulationReport {
  readonly scenario: string;
  readonly target: string;
  readonly seed: string;
  readonly virtualHours: number;
  readonly visits: number;
  readonly events: { accepted: number; ignored: number; rejected: Record<string, number> };
  readonly generations: readonly GenerationReport[];
  readonly baseline: {
    readonly initial: { version: VersionId; truth: Record<string, number> | null };
    readonly final: { version: VersionId; truth: Record<string, number> | null };
    /**
     * With per-segment baselines: the version each traffic segment is served at the end, and the
     * true KPIs of serving them so (`final` is the target's baseline alone, served to every unit).
     */
    readonly segments?: { readonly served: Readonly<Record<string, VersionId>>; readonly truth: Record<string, number> | null };
    /** The version seen in the run (every arm, every baseline) whose true primary KPI is best, served to every unit. */
    readonly bestSingle?: { version: VersionId; truth: Record<string, number> | null };
  };
  readonly commits: number;
  /** Each decided KPI's kind: a proportion reads as a percentage, a mean (revenue, latency) as a number. */
  readonly kinds: Readonly<Record<string, "proportion" | "mean">>;
}

/**
 * Runs the optimizer on a scenario in virtual time: the same pipeline, optimizer and decision
 * policy as the daemon, with a VirtualTimeScheduler for the analysis tick and simulated
 * applications that evaluate, are served, and report outcomes. Same inputs, same bytes out.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const { scenario, store, log } = options;
  const seed = options.seed ?? scenario.seed;
  // A simulation runs the scenario's maxGenerations more generations: a run on a data folder
  // continues after the generations its history already holds (the lifecycle counts history).
  const history = await store.read(options.target.name);
  const before = history.reduce((g, e) => (e.kind === "transition" ? Math.max(g, e.generation) : g), 0);
  const target = withPolicy(options.target, scenario, seed, before);
  const scheduler = new VirtualTimeScheduler();
  const clock: Clock = { now: () => VIRTUAL_EPOCH + scheduler.frame };
  const router = new ExperimentRouter();
  const segments = scenario.traffic.segments;
  const screeningModel = scenario.screeningModel;
  const optimizer = new TargetRuntime({
    target,
    store,
    clock,
    scheduler,
    rng: seededRng(target.policy.seed),
    router,
    screen: screeningModel ? simulationScreener(screeningModel, segments) : noScreening,
    bandit: loadBanditEngine(log),
    log,
    journaling: false,
  });
  await optimizer.restore();

  const lines = new Subject<unknown>();
  const events = { accepted: 0, ignored: 0, rejected: {} as Record<string, number> };
  const subscription = transactionPipeline(lines, router).subscribe((p) => {
    if (p.kind === "accepted") events.accepted++;
    else if (p.kind === "ignored") events.ignored++;
    else events.rejected[p.problem.code] = (events.rejected[p.problem.code] ?? 0) + 1;
  });
  const send = (event: object): void => {
    if (options.record) options.record(JSON.stringify(event));
    lines.next(event);
  };
  /** Runs every analysis tick due up to virtual time `ts`, then stands the clock at `ts`. */
  const advanceTo = (ts: number): void => {
    const frame = ts - VIRTUAL_EPOCH;
    if (frame <= scheduler.frame) return;
    scheduler.maxFrames = frame;
    scheduler.flush();
    scheduler.frame = frame;
  };

  const horizon = VIRTUAL_EPOCH + scenario.traffic.maxHours * 3_600_000;
  const maxGenerations = target.policy.maxGenerations > 0 ? target.policy.maxGenerations - before : 0;
  const progress = (ts: number): number =>
    Math.min(1, Math.max((ts - VIRTUAL_EPOCH) / (horizon - VIRTUAL_EPOCH), maxGenerations > 0 ? optimizer.generations.filter((g) => g.endedAt !== null).length / maxGenerations : 0));

  optimizer.start();
  await optimizer.flush();
  let visits = 0;
  if (scenario.replay) {
    visits = await replay(scenario.replay, lines, advanceTo, () => optimizer.done, () => (optimizer.pendingWrites > 0 ? optimizer.flush() : undefined));
    // The stream has ended: give the analysis that was due next its tick, as the daemon would.
    if (!optimizer.done) advanceTo(clock.now() + target.policy.analysisEveryMs);
  } else {
    const model = scenario.model as ResponseModel;
    const responder = new Responder(model);
    const trafficRng = seededRng(seed).fork("traffic");
    const outcomeRng = seededRng(seed).fork("outcomes");
    for (const visit of arrivals({ ...scenario.traffic, start: VIRTUAL_EPOCH, rng: trafficRng })) {
      if (visit.ts > horizon || visits >= (options.maxVisits ?? Infinity)) break;
      advanceTo(visit.ts);
      // What a decision serves waits for its history batch, as in the daemon (memory: a microtask).
      if (optimizer.pendingWrites > 0) await optimizer.flush();
      if (optimizer.done) break;
      const served = router.evaluate(target.name, visit.unit, visit.segment.attributes, visit.ts);
      if (!served.ok) break;
      const version = served.value.version;
      // A unit outside the audience is not exposed (its outcomes still come, and are not counted).
      if (served.value.audience !== "outside") send({ type: "exposure", target: target.name, unit: visit.unit, ts: visit.ts, arm: version.id, attributes: visit.segment.attributes });
      // Several outcomes of one visit (drawn only when asked for: same bytes as before otherwise).
      const outcomes = scenario.traffic.outcomesPerVisit > 1 ? 1 + poisson(scenario.traffic.outcomesPerVisit - 1, outcomeRng) : 1;
      for (let k = 0; k < outcomes; k++) {
        const metrics = responder.respond(version.id, version.values, visit.segment.name, outcomeRng, visit.unit);
        send({ type: "outcome", target: target.name, unit: visit.unit, ts: visit.ts, arm: version.id, metrics });
      }
      visits++;
      if (options.onProgress && visits % 5000 === 0) options.onProgress(progress(visit.ts));
    }
  }
  const end = clock.now();
  await optimizer.stop();
  subscription.unsubscribe();
  options.onProgress?.(1);
  return report(scenario, target, seed, optimizer, visits, events, end);
}

/** Scenario policy overrides on top of the target's policy; the run's seed is the policy seed. */
function withPolicy(target: Target, scenario: Scenario, seed: string, before: number): Target {
  const overrides = scenario.policy as Partial<Record<keyof Policy, unknown>>;
  const merged = {
    ...target.policy,
    ...overrides,
    canary: { ...target.policy.canary, ...(overrides.canary as object | undefined) },
    screening: { ...target.policy.screening, ...(overrides.screening as object | undefined) },
    search: { ...target.policy.search, ...(overrides.search as object | undefined) },
    seed,
  };
  const { policy, problems } = parsePolicy(merged);
  if (!policy) throw new Error(`${scenario.file}: ${problems.join("; ")}`);
  return { ...target, policy: { ...policy, maxGenerations: policy.maxGenerations > 0 ? before + policy.maxGenerations : 0 } };
}

async function replay(file: string, lines: Subject<unknown>, advanceTo: (ts: number) => void, done: () => boolean, settle: () => Promise<void> | undefined): Promise<number> {
  const raw = createReadStream(file);
  const input = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  input.setEncoding("utf8");
  const reader = createInterface({ input, crlfDelay: Infinity });
  let visits = 0;
  for await (const line of reader) {
    if (done()) break;
    if (line.trim() === "") continue;
    // Time comes from the line itself; a line without a usable ts is still fed (and rejected).
    const ts = /"ts":\s*(\d+(?:\.\d+)?)/.exec(line);
    if (ts) advanceTo(Number(ts[1]));
    await settle();
    if (done()) break;
    lines.next(line);
    if (line.includes('"exposure"')) visits++;
  }
  reader.close();
  return visits;
}

function report(
  scenario: Scenario,
  target: Target,
  seed: string,
  optimizer: TargetRuntime,
  visits: number,
  events: SimulationReport["events"],
  end: number,
): SimulationReport {
  const kpis = [target.policy.primary.kpi, ...target.policy.guardrails.map((g) => g.kpi)];
  const generations = optimizer.generations;
  const finalBaseline = optimizer.baseline.id;
  const truthOf = (id: VersionId): Record<string, number> | null => {
    const values = optimizer.version(id)?.values;
    if (!scenario.model || !values) return null;
    const model = scenario.model;
    return Object.fromEntries(kpis.filter((k) => model[k]).map((k) => [k, trueKpi(model[k]!, values, scenario.traffic.segments)]));
  };
  return {
    scenario: scenario.name,
    target: target.name,
    seed,
    virtualHours: (end - VIRTUAL_EPOCH) / 3_600_000,
    visits,
    events,
    generations: generations.map((g) => ({
      generation: g.generation,
      experiment: g.experiment,
      status: g.status,
      reason: g.reason,
      startedAt: g.startedAt,
      endedAt: g.endedAt,
      proposed: g.proposed.length,
      dropped: g.dropped.length,
      rejected: g.rejected,
      pulled: g.pulled,
      arms: g.arms.map((id, i): ArmReport => {
        const analysis = g.lastAnalysis;
        const reading = analysis?.arms.find((a) => a.arm === id);
        return {
          version: id,
          role: i === 0 ? "baseline" : "candidate",
          mutations: optimizer.version(id)?.mutations ?? [],
          units: i === 0 ? (analysis?.baselineUnits ?? 0) : (reading?.units ?? 0),
          pulled: g.pulled.some((p) => p.version === id),
          kpis: armKpis(g, i, kpis),
          truth: truthOf(id),
        };
      }),
      committed: g.committed,
    })),
    baseline: {
      initial: { version: generations[0]?.baseline ?? finalBaseline, truth: truthOf(generations[0]?.baseline ?? finalBaseline) },
      final: { version: finalBaseline, truth: truthOf(finalBaseline) },
      ...perSegment(scenario, target, optimizer, kpis, truthOf, end),
    },
    commits: generations.filter((g) => g.status === "committed").length,
    kinds: Object.fromEntries([target.policy.primary, ...target.policy.guardrails].map((k) => [k.kpi, k.kind])),
  };
}

function armKpis(g: GenerationRecord, index: number, kpis: readonly string[]): Record<string, { n: number; mean: number }> {
  const snapshot = g.lastSnapshot;
  if (!snapshot) return {};
  return Object.fromEntries(
    kpis.map((k) => {
      return [k, { n: pooled(snapshot, index, k).n, mean: pooledMean(snapshot, index, k) }];
    }),
  );
}

