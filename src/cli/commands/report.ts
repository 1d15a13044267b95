import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Clock } from "../../domain/clock.js";
import type { HistoryEntry } from "../../domain/history.js";
import { isTargetName } from "../../domain/names.js";
import { reportHtml, summaryOf, type ReportData, type ReportTarget } from "../../server/report-page.js";
import { CliError, type CliIo } from "../io.js";
import { callDaemon, remoteUrl, type RemoteOptions } from "./remote.js";
import { historyOf, storeFor } from "./versions.js";

export interface ReportOptions extends RemoteOptions {
  readonly dataDir?: string;
  readonly out: string;
}

/**
 * `evolvd report <target> --out report.html`: the console's page for one target as a single
 * HTML file that opens offline. From a data folder it has the history (every generation, its
 * evidence, the lineage); from a daemon (--url) also the live experiment as it is now.
 */
export async function reportCommand(target: string, options: ReportOptions, io: CliIo, clock: Clock): Promise<void> {
  if (!isTargetName(target)) throw new CliError(`invalid target name ${JSON.stringify(target)}`, 2);
  const url = remoteUrl(options, io);
  if (url && options.dataDir) throw new CliError("give --data-dir or --url, not both", 2);
  let entry: ReportTarget;
  let source: string;
  if (url) {
    const t = encodeURIComponent(target);
    const [detail, { history }, summaries] = await Promise.all([
      callDaemon(options, io, `/v1/targets/${t}`),
      callDaemon(options, io, `/v1/targets/${t}/history`),
      // A daemon from before the console has no summaries route: the history says enough.
      callDaemon(options, io, "/v1/console/summaries").catch(() => ({ targets: [] })) as Promise<{ targets: { target: string }[] }>,
    ]);
    entry = { summary: summaries.targets.find((s) => s.target === target) ?? summaryOf(target, history), detail, history };
    source = url;
  } else {
    const history = await historyOf(storeFor(options.dataDir, io), target);
    entry = { summary: summaryOf(target, history), detail: null, history };
    source = `data folder ${options.dataDir ?? io.env.EVOLVD_DATA_DIR ?? ".evolvd"}`;
  }
  const out = writeReport(io, options.out, { kind: "evolvd-report", generatedAt: clock.now(), source, targets: [entry] });
  io.stdout.write(`wrote ${out}: target ${target}, ${entry.history.length} history entries, from ${source}\n`);
}

/** A report of a finished simulation, dated by its virtual clock so the same seed writes the same bytes. */
export function simulationReport(target: string, history: readonly HistoryEntry[], scenario: string, seed: string): ReportData {
  return {
    kind: "evolvd-report",
    generatedAt: history[history.length - 1]?.at ?? 0,
    source: `simulation of "${scenario}", seed ${seed} (virtual time)`,
    targets: [{ summary: summaryOf(target, history), detail: null, history }],
  };
}

/** Writes the report's HTML; an unwritable path is the user's to fix, said in words. */
export function writeReport(io: CliIo, path: string, data: ReportData): string {
  const out = resolve(io.cwd, path);
  try {
    writeFileSync(out, reportHtml(data));
  } catch (error) {
    throw new CliError(`cannot write the report to ${path}: ${(error as Error).message}`);
  }
  return path;
}
