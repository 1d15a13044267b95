import { resolve } from "node:path";
import { loadBanditEngine } from "../bandit/kernel.js";
import type { Logger } from "../domain/logger.js";
import { armLabel, createMetrics, type Metrics } from "../metrics/metrics.js";
import { buildServer } from "../server/app.js";
import { processLine } from "../stream/pipeline.js";
import type { Processed } from "../stream/processed.js";
import { ExperimentRouter } from "../stream/router.js";
import { systemClock } from "../system-clock.js";
import { DropFolder } from "../watch/drop-folder.js";
import { startMemoryReducer } from "./memory-reducer.js";
import { createMode } from "./mode.js";
import type { Settings } from "./settings.js";
import { collectState } from "./state-gauges.js";
import { TargetRegistry } from "./targets.js";
import { stageWiring } from "./stage-wiring.js";
import { UntrustedEvents } from "../stream/untrusted.js";

export interface Daemon {
  /** Base URL the server listens on (e.g. http://127.0.0.1:8787). */
  readonly url: string;
  readonly metrics: Metrics;
  readonly targets: TargetRegistry;
  /** What every target serves now (read-only use: tests compare SDKs' local answers with it). */
  readonly router: ExperimentRouter;
  /** Rescans the drop folder (SIGHUP). */
  rescan(): Promise<void>;
  /** Stops intake, stops every target's runtime, flushes history; resolves when done. */
  stop(): Promise<void>;
}

/**
 * The composition root of `evolvd start`: the mode (embedded, or scale-out on Redis: built
 * once, daemon/mode.ts), the transaction pipeline, one runtime per dropped target file, the
 * drop-folder watcher and the HTTP server, wired here and nowhere else.
 */
export async function startDaemon(settings: Settings, cwd: string, log: Logger): Promise<Daemon> {
  const router = new ExperimentRouter();
  const metrics = createMetrics();
  const bandit = loadBanditEngine(log);
  let ready = false;
  const observer = {
    decision: (target: string, kind: string, cause: string) => metrics.decisions.inc({ target, kind, cause }),
    analysis: (target: string, seconds: number) => metrics.analysisDuration.observe({ target }, seconds),
    now: () => performance.now() / 1000,
  };
  // Pipeline stages: what the SDKs report, and what their stages did (daemon/stage-wiring.ts).
  const stages = stageWiring(metrics, () => targets.targets.map((t) => t.target), log);
  const mode = await createMode(settings, cwd, { router, bandit, clock: systemClock, observer, log, onStatsDropped: (target, n) => metrics.statsDropped.inc({ target }, n), registries: stages.registries });

  // Every line goes through the transaction pipeline (stream/pipeline.ts), one at a time.
  const processOne = processLine(router);
  const ingest = (line: unknown): Processed => {
    const processed = processOne(line);
    stages.observe(processed);
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

  // Events sent with a browser's client key: only its targets, and a budget per unit.
  const untrusted = new UntrustedEvents(settings.clientEventsPerMinute);
  const ingestUntrusted = (line: unknown, allowed: ReadonlySet<string>): Processed => {
    const checked = untrusted.check(line, allowed, systemClock.now());
    if ("line" in checked) return ingest(checked.line);
    metrics.events.add("unknown", "rejected", checked.refused.code);
    return { kind: "rejected", problem: checked.refused };
  };

  const targets = new TargetRegistry({ router, clock: systemClock, log, createRuntime: (target, screen) => mode.createRuntime(target, screen), unsupported: (target) => mode.unsupported?.(target) ?? [], release: (runtime, target, reason) => mode.release(runtime, target, reason), onRejected: (reason) => metrics.dropsRejected.inc({ reason }) });
  metrics.onCollect(() => collectState(metrics, targets.targets, mode.gauges()));
  await mode.start();
  stages.start(mode.store);

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
    ingestUntrusted,
    corsOrigins: settings.corsOrigins,
    targets,
    store: mode.store,
    adminToken: settings.adminToken,
    viewerToken: settings.viewerToken,
    ofrepToken: settings.ofrepToken,
    maxBodyBytes: settings.maxBodyBytes,
    maxEventsPerRequest: settings.maxEventsPerRequest,
    requestTimeoutMs: settings.requestTimeoutMs,
    metrics,
    stages: stages.registry,
    stageBindings: stages.bindings,
    readiness: () => [
      ...(ready ? [] : ["starting or stopping"]),
      ...(drop.healthy ? [] : ["the drop folder scan is hanging"]),
      ...mode.readiness(),
      ...targets.targets.flatMap(({ target, runtime }) => (runtime.storeError ? [`target ${target.name}: history not writable (${runtime.storeError.message})`] : [])),
    ],
  });
  const address = await server.listen({ host: settings.host, port: settings.port });
  ready = true;
  // A quiet daemon gives back the garbage a burst of events left (daemon/memory-reducer.ts).
  const reducer = startMemoryReducer({ onCollect: (before, after) => log.debug({ heapUsedMb: Math.round(before / 2 ** 20), afterMb: Math.round(after / 2 ** 20) }, "heap collected after a burst of work") });
  log.info({ url: address, ...mode.description, dropDir: settings.dropDir, targets: targets.targets.map((t) => t.target.name), bandit: bandit.name }, "evolvd started");

  return {
    url: address,
    metrics,
    targets,
    router,
    rescan: () => drop.rescan(),
    async stop() {
      ready = false;
      reducer.stop();
      drop.stop();
      await server.close();
      await targets.stopAll();
      await stages.stop();
      await mode.close();
      log.info({}, "evolvd stopped");
    },
  };
}
