import { createWriteStream } from "node:fs";
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import { loadTargetFile } from "../../config/target-file.js";
import { silentLogger, type Logger } from "../../domain/logger.js";
import { checkAgainstTarget, loadScenarioFile } from "../../sim/scenario.js";
import { runSimulation, type SimulationReport } from "../../sim/runner.js";
import { FileStore } from "../../store/file-store.js";
import { MemoryStore } from "../../store/memory-store.js";
import { count, percent, short, signedPercent, table } from "../format.js";
import { CliError, type CliIo } from "../io.js";
import { jsonLogger } from "../logger.js";
import { simulationReport, writeReport } from "./report.js";

export interface SimulateOptions {
  readonly seed?: string;
  readonly json?: boolean;
  readonly dataDir?: string;
  readonly record?: string;
  readonly log?: boolean;
  readonly report?: string;
}

/** `evolvd simulate <scenario>`: the whole loop on virtual time; a table, or JSON with --json. */
export async function simulateCommand(scenarioPath: string, options: SimulateOptions, io: CliIo): Promise<void> {
  const scenario = loadScenarioFile(resolve(io.cwd, scenarioPath));
  if (!scenario.ok) throw new CliError(scenario.error.message);
  const target = loadTargetFile(scenario.value.targetFile);
  if (!target.ok) throw new CliError(target.error.message);
  const mismatch = checkAgainstTarget(scenario.value, target.value);
  if (mismatch.length) throw new CliError(`${scenario.value.file}:\n  ${mismatch.join("\n  ")}`);
  if (options.seed !== undefined && !/^[\w.-]{1,64}$/.test(options.seed)) throw new CliError("--seed: must be a number or a short word", 2);

  const store = options.dataDir ? new FileStore(resolve(io.cwd, options.dataDir)) : new MemoryStore();
  const log: Logger = options.log ? jsonLogger(io.stderr) : silentLogger;
  const recording = options.record ? createWriteStream(resolve(io.cwd, options.record)) : null;
  const bar = !options.json && io.stderr.isTTY ? new cliProgress.SingleBar({ format: "simulating [{bar}] {percentage}%", hideCursor: true, stream: io.stderr as NodeJS.WritableStream }, cliProgress.Presets.shades_classic) : null;
  bar?.start(100, 0);
  let report: SimulationReport;
  try {
    report = await runSimulation({
      scenario: scenario.value,
      target: target.value,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      store,
      log,
      onProgress: (done) => bar?.update(Math.round(done * 100)),
      ...(recording ? { record: (line: string) => recording.write(line + "\n") } : {}),
    });
  } finally {
    bar?.stop();
    if (recording) await new Promise<void>((done) => recording.end(done));
  }
  if (options.report) writeReport(io, options.report, simulationReport(target.value.name, await store.read(target.value.name), scenario.value.name, report.seed));
  io.stdout.write(options.json ? JSON.stringify(report, null, 2) + "\n" : summary(report));
  if (options.report && !options.json) io.stdout.write(`report: ${options.report}\n`);
}

/** The human summary: one row per generation, then the baseline's trajectory. */
export function summary(report: SimulationReport): string {
  const kpis = Object.keys(report.generations[0]?.arms[0]?.kpis ?? {});
  const primary = kpis[0] ?? "";
  // A proportion reads as a percentage; a mean (revenue per unit, latency) as the number it is.
  const value = (kpi: string, x: number): string => ((report.kinds?.[kpi] ?? "proportion") === "proportion" ? percent(x) : x.toPrecision(4));
  const rows = report.generations.map((g) => {
    const baseline = g.arms[0];
    const best = g.arms.slice(1).sort((a, b) => (b.kpis[primary]?.mean ?? 0) - (a.kpis[primary]?.mean ?? 0))[0];
    const lift = baseline && best && baseline.kpis[primary]?.mean ? (best.kpis[primary]?.mean ?? 0) / (baseline.kpis[primary]?.mean as number) - 1 : null;
    return [
      String(g.generation),
      g.status,
      `${g.proposed}/${g.rejected.length}/${g.pulled.length}`,
      g.arms.map((a) => count(a.units)).join(" / ") || "-",
      baseline?.kpis[primary] ? value(primary, baseline.kpis[primary].mean) : "-",
      best?.kpis[primary] ? `${value(primary, best.kpis[primary].mean)} (${lift === null ? "?" : signedPercent(lift)})` : "-",
      g.committed ? short(g.committed) : "",
      g.reason,
    ];
  });
  const out: string[] = [];
  out.push(`${report.scenario} · target ${report.target} · seed ${report.seed} · ${report.virtualHours.toFixed(1)} virtual hours · ${count(report.visits)} visits\n\n`);
  out.push(table(rows, ["gen", "status", "prop/rej/pull", "units (baseline / candidates)", `${primary} base`, `best candidate`, "committed", "reason"]));
  for (const g of report.generations)
    for (const arm of g.arms.slice(1)) {
      const mutations = (arm.mutations as { path: string; op: string; from: unknown; to: unknown }[]).map((m) => `${m.op} ${m.path} ${JSON.stringify(m.from)}→${JSON.stringify(m.to)}`).join(", ");
      out.push(`  g${g.generation} ${short(arm.version)}${arm.pulled ? " (pulled)" : ""}: ${mutations}\n`);
    }
  const truth = (t: Record<string, number> | null): string => (t ? Object.entries(t).map(([k, v]) => `${k} ${report.kinds?.[k] === undefined && k === "latency_ms" ? v.toFixed(1) : value(k, v)}`).join(", ") : "n/a (replay)");
  out.push(`\nbaseline ${short(report.baseline.initial.version)} → ${short(report.baseline.final.version)} after ${report.commits} commit(s)\n`);
  out.push(`  true KPIs before: ${truth(report.baseline.initial.truth)}\n  true KPIs after:  ${truth(report.baseline.final.truth)}\n`);
  const { segments, bestSingle } = report.baseline;
  if (segments) {
    out.push(`  per-segment baselines: ${Object.entries(segments.served).map(([s, id]) => `${s} → ${short(id)}`).join(", ")}\n`);
    out.push(`  true KPIs served per segment: ${truth(segments.truth)}\n`);
  }
  if (bestSingle) out.push(`  best single version seen (${short(bestSingle.version)}) served to all: ${truth(bestSingle.truth)}\n`);
  const rejected = Object.entries(report.events.rejected);
  out.push(`events: ${count(report.events.accepted)} accepted, ${count(report.events.ignored)} outside experiments, ${rejected.length ? rejected.map(([k, v]) => `${count(v)} ${k}`).join(", ") : "0"} rejected\n`);
  return out.join("");
}
