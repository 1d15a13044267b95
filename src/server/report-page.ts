import { readFileSync } from "node:fs";
import { join } from "node:path";
import { currentBaseline, type HistoryEntry } from "../domain/history.js";
import { CONSOLE_DIR, CONSOLE_SCRIPTS, vendorFiles } from "./console.js";

/** One target in a report: what the console's target list and page need. */
export interface ReportTarget {
  /** The target list's line (server/console.ts targetSummaries, or summaryOf below). */
  readonly summary: unknown;
  /** The live view (`GET /v1/targets/:target`) when the report was read from a daemon, else null. */
  readonly detail: unknown;
  readonly history: readonly HistoryEntry[];
}

/** What a report embeds; console/source.js reportSource reads it. */
export interface ReportData {
  readonly kind: "evolvd-report";
  /** When it was written (ms since the epoch). */
  readonly generatedAt: number;
  /** Where the data came from, in words: a daemon's URL, a data folder, a simulation. */
  readonly source: string;
  readonly targets: readonly ReportTarget[];
}

/**
 * A target's list line worked out from its history alone (a data folder, a simulation): no
 * process holds it, so there is no live experiment, only how its last generation ended.
 */
export function summaryOf(target: string, history: readonly HistoryEntry[]): unknown {
  const transitions = history.filter((e) => e.kind === "transition");
  const last = transitions[transitions.length - 1];
  return {
    target,
    baseline: currentBaseline(history),
    killed: last?.to === "killed",
    drafts: 0,
    experiment: null,
    lastGeneration: last ? { generation: last.generation, status: last.to } : null,
  };
}

// A `</script>` inside a script element would end it early. In JSON every `<` is inside a
// string, where `\u003c` is the same character; in the console's scripts `<\/` is.
const embedJson = (json: string): string => json.replace(/</g, "\\u003c");
const embedScript = (code: string): string => code.replace(/<\/script/gi, "<\\/script");

/**
 * One self-contained HTML file: the console's page with its stylesheets and scripts inlined
 * (uPlot included) and the data in a JSON script element, so it opens offline, from a file,
 * with the same plots and tables as the console, read-only.
 */
export function reportHtml(data: ReportData): string {
  const vendor = vendorFiles();
  const file = (name: string): string => readFileSync(name.startsWith("vendor/") ? (vendor[name.slice(7)] as string) : join(CONSOLE_DIR, name), "utf8");
  let page = readFileSync(join(CONSOLE_DIR, "index.html"), "utf8");
  page = page.replace(/<link rel="stylesheet" href="\/console\/([\w./-]+)">/g, (_all, name: string) => `<style>\n${file(name)}\n</style>`);
  let scripts = 0;
  page = page.replace(/<script src="\/console\/([\w./-]+)"><\/script>\n?/g, (_all, name: string) => {
    scripts += 1;
    return `<script>\n${embedScript(file(name))}\n</script>\n`;
  });
  // The console's page and this builder must agree on what a page loads.
  if (scripts !== CONSOLE_SCRIPTS.length + 1) throw new Error(`console/index.html loads ${scripts} scripts; a report expects uPlot and ${CONSOLE_SCRIPTS.join(", ")}`);
  const title = `evolvd report · ${data.targets.map((t) => (t.summary as { target: string }).target).join(", ")}`;
  page = page.replace(/<title>[^<]*<\/title>/, () => `<title>${title.replace(/[<>&"]/g, "")}</title>`);
  const json = `<script type="application/json" id="evolvd-report">${embedJson(JSON.stringify(data))}</script>\n`;
  return page.replace("<script>", () => `${json}<script>`);
}
