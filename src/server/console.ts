import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { interval, map, share, type SchedulerLike } from "rxjs";
import type { TargetDirectory } from "../runtime/ports.js";

/** The console's own files: `console/` at the package root (beside `dist/` and `src/`). */
export const CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "console");

/** The charting library's files, served from the installed package so the page works offline. */
export function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("uplot/dist/uPlot.iife.min.js"));
  return { "uPlot.iife.min.js": join(dist, "uPlot.iife.min.js"), "uPlot.min.css": join(dist, "uPlot.min.css") };
}

/** Console scripts in the order the page (and a report, server/report-page.ts) loads them. */
export const CONSOLE_SCRIPTS = ["format.js", "model.js", "plots.js", "lineage.js", "views.js", "source.js", "app.js"] as const;

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8" };
const typeOf = (name: string) => TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";

// The page loads only its own files; data comes from this origin's API (with the token).
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/**
 * The console's static files, outside every token hook: they hold no data. Only names listed
 * at start are served, read into memory once, so no request path ever reaches the file system.
 */
export function registerConsoleFiles(app: FastifyInstance): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(CONSOLE_DIR)) if (/^[a-z-]+\.(js|css|html)$/.test(name)) files.set(name, { body: readFileSync(join(CONSOLE_DIR, name)), type: typeOf(name) });
  for (const [name, path] of Object.entries(vendorFiles())) files.set(`vendor/${name}`, { body: readFileSync(path), type: typeOf(name) });
  const send = (reply: FastifyReply, name: string) => {
    const file = files.get(name);
    if (!file) return reply.code(404).send({ error: "not_found", message: `the console has no file ${JSON.stringify(name.slice(0, 80))}` });
    return reply.header("Content-Type", file.type).header("Cache-Control", "no-cache").header("Content-Security-Policy", CSP).header("X-Content-Type-Options", "nosniff").send(file.body);
  };
  app.get("/", async (_request, reply) => send(reply, "index.html"));
  app.get<{ Params: { file: string } }>("/console/:file", async (request, reply) => send(reply, request.params.file));
  app.get<{ Params: { file: string } }>("/console/vendor/:file", async (request, reply) => send(reply, `vendor/${request.params.file}`));
}

export interface ConsoleStreamDeps {
  readonly targets: TargetDirectory;
  /** How often the stream looks for a change (rxjs scheduler: virtual in tests if need be). */
  readonly streamMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** What every target looks like now, in a few fields: a change of any of them is pushed. */
export function targetSummaries(targets: TargetDirectory): unknown[] {
  return targets.targets.map(({ target, runtime }) => {
    const e = runtime.experiment;
    const record = runtime.generations[runtime.generations.length - 1];
    return {
      target: target.name,
      baseline: runtime.baseline.id,
      killed: runtime.killed,
      drafts: runtime.drafts.length,
      experiment: e && { id: e.id, status: e.status, paused: e.paused, canaryStep: e.canaryStep, weights: e.weights, units: (e.unitsNow?.() ?? record?.lastSnapshot?.units ?? []).reduce((n, u) => n + u, 0), analyzedAt: record?.lastAnalysis?.at ?? null },
      lastGeneration: record ? { generation: record.generation, status: record.status } : null,
    };
  });
}

/**
 * `GET /v1/console/summaries` and `GET /v1/console/stream`: server-sent events for the console. Declared inside the admin
 * plugin, so the admin token guards it like every admin route (the console reads it with
 * fetch, which can send the token; EventSource cannot). An event `targets` carries every
 * target's summary when any of it changed; a comment every 15 s keeps proxies from closing it.
 */
export function registerConsoleStream(app: FastifyInstance, deps: ConsoleStreamDeps): void {
  // The same summaries once, for the console's first paint and after an action.
  app.get("/v1/console/summaries", async () => ({ targets: targetSummaries(deps.targets) }));
  const periodMs = deps.streamMs ?? 500;
  // One reading per period for every open stream (none while no console is open).
  const readings = interval(periodMs, deps.scheduler).pipe(
    map(() => JSON.stringify({ targets: targetSummaries(deps.targets) })),
    share(),
  );
  const open = new Set<{ end: () => void }>();
  app.addHook("preClose", (done) => {
    for (const stream of open) stream.end();
    done();
  });
  app.get("/v1/console/stream", (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    let last = "";
    let quiet = 0;
    const push = (data: string) => {
      if (data !== last) {
        last = data;
        quiet = 0;
        raw.write(`event: targets\ndata: ${data}\n\n`);
      } else if ((quiet += periodMs) >= 15_000) {
        quiet = 0;
        raw.write(": keep-alive\n\n");
      }
    };
    // Its first reading at once; then the shared ones (push skips what it has already sent).
    push(JSON.stringify({ targets: targetSummaries(deps.targets) }));
    const timer = readings.subscribe(push);
    const stream = {
      end: () => {
        timer.unsubscribe();
        open.delete(stream);
        raw.end();
      },
    };
    open.add(stream);
    request.raw.on("close", stream.end);
  });
}
