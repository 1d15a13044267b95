import { resolve } from "node:path";
import { asyncScheduler, Subject } from "rxjs";
import { loadBanditEngine } from "../bandit/kernel.js";
import type { Logger } from "../domain/logger.js";
import { armLabel, createMetrics, type Metrics } from "../metrics/metrics.js";
import { buildServer } from "../server/app.js";
import { FileStore } from "../store/file-store.js";
import { transactionPipeline } from "../stream/pipeline.js";
import type { Processed } from "../stream/processed.js";
import { ExperimentRouter } from "../stream/router.js";
import { DropFolder } from "../watch/drop-folder.js";
import type { Settings } from "./settings.js";
import { systemClock } from "../system-clock.js";
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
 * The composition root of `evolvd start`: the embedded store, the transaction pipeline, one
 * optimizer per dropped target file, the drop-folder watcher and the HTTP server, wired here
 * and nowhere else.
 */
export async function startDaemon(settings: Settings, cwd: string, log: Logger): Promise<Daemon> {
  const store = new FileStore(resolve(cwd, settings.dataDir));
  const router = new ExperimentRouter();
  const metrics = createMetrics();
  const bandit = loadBanditEngine(log);
  let ready = false;

  const lines = new Subject<unknown>();
  let last: Processed | null = null;
  const subscription = transactionPipeline(lines, router).subscribe((processed) => {
    last = processed;
    // Counting must never take the stream down: RxJS would rethrow out of band and end it.
    try {
      const target = processed.kind === "rejected" ? "unknown" : processed.event.target;
      const reason = processed.kind === "rejected" ? processed.problem.code : processed.kind === "ignored" ? processed.reason : processed.event.type;
      metrics.events.inc({ target: router.baseline(target) ? target : "unknown", result: processed.kind, reason });
      if (processed.kind === "accepted") (processed.event.type === "exposure" ? metrics.assignments : metrics.outcomes).inc({ target, arm: armLabel(processed.arm) });
    } catch (error) {
      log.error({ error: (error as Error).message }, "event metrics failed");
    }
  });
  // The pipeline is synchronous: after next() the subscriber has seen the line.
  const ingest = (line: unknown): Processed => {
    lines.next(line);
    return last as Processed;
  };

  const targets = new TargetRegistry({
    store,
    router,
    clock: systemClock,
    scheduler: asyncScheduler,
    bandit,
    log,
    onRejected: (reason) => metrics.dropsRejected.inc({ reason }),
    observer: {
      decision: (target, kind, cause) => metrics.decisions.inc({ target, kind, cause }),
      analysis: (target, seconds) => metrics.analysisDuration.observe({ target }, seconds),
      now: () => performance.now() / 1000,
    },
  });
  metrics.onCollect(() => collectState(metrics, targets));

  const drop = new DropFolder(resolve(cwd, settings.dropDir), { debounceMs: settings.debounceMs, rescanMs: settings.rescanMs }, {
    onTargetFile: (file, text) => targets.applyFile(file, text),
    onTargetFileRemoved: (file) => targets.removeFile(file),
    onKillFile: (target, present) => targets.setKillFile(target, present),
  }, log);
  await drop.start();

  const server = buildServer({
    router,
    clock: systemClock,
    expose: (event) => void ingest(event),
    onEvaluation: (target, arm) => metrics.evaluations.inc({ target, arm: armLabel(arm) }),
    ingest,
    targets,
    store,
    adminToken: settings.adminToken,
    ofrepToken: settings.ofrepToken,
    maxBodyBytes: settings.maxBodyBytes,
    metrics,
    ready: () => ready,
  });
  const address = await server.listen({ host: settings.host, port: settings.port });
  ready = true;
  log.info({ url: address, dataDir: settings.dataDir, dropDir: settings.dropDir, targets: targets.targets.map((t) => t.target.name), bandit: bandit.name }, "evolvd started");

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
      subscription.unsubscribe();
      log.info({}, "evolvd stopped");
    },
  };
}

/** State gauges, refreshed at scrape time; stale label sets are dropped by the reset. */
function collectState(metrics: Metrics, targets: TargetRegistry): void {
  for (const g of [metrics.armWeight, metrics.armUnits, metrics.experimentState, metrics.baselineInfo, metrics.killSwitch, metrics.kpiEstimate, metrics.kpiLow, metrics.kpiHigh, metrics.srmPValue, metrics.probabilityBest]) g.reset();
  for (const { target, optimizer } of targets.targets) {
    const name = target.name;
    metrics.baselineInfo.set({ target: name, version: optimizer.baseline.id }, 1);
    metrics.killSwitch.set({ target: name }, optimizer.killed ? 1 : 0);
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
