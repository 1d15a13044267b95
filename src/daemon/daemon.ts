import { resolve } from "node:path";
import { asyncScheduler } from "rxjs";
import { loadBanditEngine } from "../bandit/kernel.js";
import type { Logger } from "../domain/logger.js";
import { armLabel, createMetrics, type Metrics } from "../metrics/metrics.js";
import { buildServer } from "../server/app.js";
import type { Target } from "../domain/target.js";
import { Optimizer } from "../loop/optimizer.js";
import { seededRng } from "../random/seeded-rng.js";
import { ScaleOut } from "../scale/scale-out.js";
import { SharedTarget } from "../scale/shared-target.js";
import type { Screener } from "../sim/screening.js";
import { FileStore } from "../store/file-store.js";
import type { HistoryStore } from "../store/ports.js";
import { processLine } from "../stream/pipeline.js";
import type { Processed } from "../stream/processed.js";
import { ExperimentRouter } from "../stream/router.js";
import { DropFolder } from "../watch/drop-folder.js";
import type { Settings } from "./settings.js";
import { systemClock } from "../system-clock.js";
import type { TargetRuntime } from "./runtime.js";
import { TargetRegistry } from "./targets.js";

export interface Daemon {
  /** Base URL the server listens on (e.g. http://127.0.0.1:8787). */
  readonly url: string;
  readonly metrics: Metrics;
  readonly targets: TargetRegistry;
  /** Rescans the drop folder (SIGHUP). */
  rescan(): Promise<void>;
  /** Stops intake, stops every optimizer, flushes history; resolves when done. */
  stop(): Promise<void>;
}

/**
 * The composition root of `evolvd start`: the store, the transaction pipeline, one runtime per
 * dropped target file, the drop-folder watcher and the HTTP server, wired here and nowhere
 * else. Embedded (the default), each target is an Optimizer over the file store; with
 * `settings.redis`, each is a SharedTarget over Redis and bull (see docs/scale-out.md).
 */
export async function startDaemon(settings: Settings, cwd: string, log: Logger): Promise<Daemon> {
  const router = new ExperimentRouter();
  const metrics = createMetrics();
  const bandit = loadBanditEngine(log);
  let ready = false;
  const scaleOut = settings.redis
    ? await ScaleOut.connect({
        url: settings.redis,
        prefix: settings.redisPrefix,
        flushMs: settings.flushMs,
        syncMs: settings.syncMs,
        maxUnflushed: settings.maxUnflushed,
        lockMs: settings.jobLockMs,
        connectTimeoutMs: 5000,
        pauseBeforeCommitMs: settings.faultPauseBeforeCommitMs,
        log,
      })
    : null;
  const store: HistoryStore = scaleOut ? scaleOut.store : new FileStore(resolve(cwd, settings.dataDir));
  const observer = {
    decision: (target: string, kind: string, cause: string) => metrics.decisions.inc({ target, kind, cause }),
    analysis: (target: string, seconds: number) => metrics.analysisDuration.observe({ target }, seconds),
    now: () => performance.now() / 1000,
  };
  const createRuntime = (target: Target, screen: Screener): TargetRuntime =>
    scaleOut
      ? scaleOut.createTarget(target, screen, { router, bandit, clock: systemClock, observer, onDropped: (name, n) => metrics.statsDropped.inc({ target: name }, n) })
      : new Optimizer({ target, store, clock: systemClock, scheduler: asyncScheduler, rng: seededRng(target.policy.seed), router, screen, bandit, log, observer });
  const release = async (runtime: TargetRuntime, target: Target, reason: string): Promise<void> => {
    if (scaleOut) {
      // The target lives on in the shared state for the other instances; this one lets go.
      // Its tick schedule goes too (a changed file may tick at another pace): instances still
      // running the target schedule it again at their next re-read.
      scaleOut.forget(target.name);
      await runtime.stop();
      await scaleOut.unschedule(target).catch((error: Error) => log.warn({ target: target.name, error: error.message }, "analysis tick not unscheduled"));
      return;
    }
    await runtime.kill(reason);
    await runtime.stop();
  };

  // Every line goes through the transaction pipeline (stream/pipeline.ts), one at a time.
  const processOne = processLine(router);
  const ingest = (line: unknown): Processed => {
    const processed = processOne(line);
    // Counting must never fail an event.
    try {
      const target = processed.kind === "rejected" ? "unknown" : processed.event.target;
      const reason = processed.kind === "rejected" ? processed.problem.code : processed.kind === "ignored" ? processed.reason : processed.event.type;
      metrics.events.add(router.baseline(target) ? target : "unknown", processed.kind, reason);
      if (processed.kind === "accepted") {
        (processed.event.type === "exposure" ? metrics.assignments : metrics.outcomes).add(target, armLabel(processed.arm));
        if (processed.ignoredKpis > 0) metrics.kpisIgnored.add(target, "", "", processed.ignoredKpis);
      }
    } catch (error) {
      log.error({ error: (error as Error).message }, "event metrics failed");
    }
    return processed;
  };

  const targets = new TargetRegistry({ router, clock: systemClock, log, createRuntime, release, onRejected: (reason) => metrics.dropsRejected.inc({ reason }) });
  metrics.onCollect(() => collectState(metrics, targets, scaleOut));
  if (scaleOut) {
    await scaleOut.listen((name) => {
      const runtime = targets.runtime(name);
      return runtime instanceof SharedTarget ? runtime : undefined;
    });
  }

  const drop = new DropFolder(resolve(cwd, settings.dropDir), { debounceMs: settings.debounceMs, rescanMs: settings.rescanMs, maxFileBytes: settings.maxDropFileBytes, now: () => performance.now() }, {
    onTargetFile: (file, text) => targets.applyFile(file, text),
    onTargetFileRemoved: (file) => targets.removeFile(file),
    onRefusedFile: (file, problems) => targets.refuse(file, problems, "unreadable_drop_file"),
    onKillFile: (target, present) => void targets.setKillFile(target, present),
  }, log);
  await drop.start();

  const server = buildServer({
    router,
    clock: systemClock,
    expose: (event) => void ingest(event),
    onEvaluation: (target, arm) => metrics.evaluations.add(target, armLabel(arm)),
    ingest,
    targets,
    store,
    adminToken: settings.adminToken,
    ofrepToken: settings.ofrepToken,
    maxBodyBytes: settings.maxBodyBytes,
    maxEventsPerRequest: settings.maxEventsPerRequest,
    requestTimeoutMs: settings.requestTimeoutMs,
    metrics,
    readiness: () => [
      ...(ready ? [] : ["starting or stopping"]),
      ...(drop.healthy ? [] : ["the drop folder scan is hanging"]),
      ...(scaleOut && !scaleOut.ready ? ["shared state (Redis) unreachable"] : []),
      ...targets.targets.flatMap(({ target, runtime }) => (runtime.storeError ? [`target ${target.name}: history not writable (${runtime.storeError.message})`] : [])),
    ],
  });
  const address = await server.listen({ host: settings.host, port: settings.port });
  ready = true;
  const where = scaleOut ? { mode: "scale-out", redis: scaleOut.url, prefix: settings.redisPrefix } : { mode: "embedded", dataDir: settings.dataDir };
  log.info({ url: address, ...where, dropDir: settings.dropDir, targets: targets.targets.map((t) => t.target.name), bandit: bandit.name }, "evolvd started");

  return {
    url: address,
    metrics,
    targets,
    rescan: () => drop.rescan(),
    async stop() {
      ready = false;
      drop.stop();
      await server.close();
      await targets.stopAll();
      await scaleOut?.close();
      log.info({}, "evolvd stopped");
    },
  };
}

/** State gauges, refreshed at scrape time; stale label sets are dropped by the reset. */
function collectState(metrics: Metrics, targets: TargetRegistry, scaleOut: ScaleOut | null): void {
  for (const g of [metrics.armWeight, metrics.armUnits, metrics.experimentState, metrics.baselineInfo, metrics.killSwitch, metrics.historyWritable, metrics.kpiEstimate, metrics.kpiLow, metrics.kpiHigh, metrics.srmPValue, metrics.probabilityBest, metrics.statsUnflushed]) g.reset();
  if (scaleOut) metrics.sharedStateUp.set({ prefix: scaleOut.prefix }, scaleOut.ready ? 1 : 0);
  for (const { target, runtime: optimizer } of targets.targets) {
    if (optimizer instanceof SharedTarget) metrics.statsUnflushed.set({ target: target.name }, optimizer.unflushed);
    const name = target.name;
    metrics.baselineInfo.set({ target: name, version: optimizer.baseline.id }, 1);
    metrics.killSwitch.set({ target: name }, optimizer.killed ? 1 : 0);
    metrics.historyWritable.set({ target: name }, optimizer.storeError ? 0 : 1);
    const experiment = optimizer.experiment;
    const record = optimizer.generations[optimizer.generations.length - 1];
    metrics.experimentState.set({ target: name, state: experiment?.live ? experiment.status : (record?.status ?? "none") }, 1);
    if (!experiment?.live) continue;
    experiment.weights.forEach((w, i) => metrics.armWeight.set({ target: name, arm: armLabel(i) }, w));
    const snapshot = record?.lastSnapshot;
    snapshot?.units.forEach((u, i) => metrics.armUnits.set({ target: name, arm: armLabel(i) }, u));
    record?.lastProbabilityBest?.forEach((p, i) => metrics.probabilityBest.set({ target: name, arm: armLabel(i) }, p));
    const analysis = record?.lastAnalysis;
    if (!analysis) continue;
    metrics.srmPValue.set({ target: name }, analysis.srm.pValue);
    for (const arm of analysis.arms) {
      const readings = [{ kpi: arm.primary.kpi, comparison: arm.primary.comparison }, ...arm.guardrails.map((g) => ({ kpi: g.kpi, comparison: g.comparison }))];
      for (const { kpi, comparison } of readings) {
        if (!comparison) continue;
        const labels = { target: name, arm: armLabel(arm.index), kpi };
        metrics.kpiEstimate.set(labels, comparison.effect);
        metrics.kpiLow.set(labels, comparison.ci[0]);
        metrics.kpiHigh.set(labels, comparison.ci[1]);
      }
    }
  }
}
