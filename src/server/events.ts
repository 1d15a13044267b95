import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import type { Processed } from "../stream/processed.js";
import { clientTargetsOf } from "./client-keys.js";

export interface EventsDeps {
  /** Feeds one line into the transaction pipeline and returns what became of it. */
  readonly ingest: (line: unknown) => Processed;
  /** Most lines one request may carry (413 beyond, nothing ingested). */
  readonly maxEventsPerRequest: number;
  /** The same for a line sent with a browser's client key, which may reach only `allowed` (stream/untrusted.ts). */
  readonly ingestUntrusted: (line: unknown, allowed: ReadonlySet<string>) => Processed;
}

/** Rejected lines listed by line number in an answer; the rest are only counted. */
export const MAX_ERRORS_LISTED = 100;
/** Lines ingested between two yields to the event loop, so evaluations never wait on a big batch. */
const LINES_PER_SLICE = 256;

/** An NDJSON body, kept apart from JSON values (a JSON object with an `ndjson` key is not one). */
class NdjsonBody {
  constructor(readonly text: string) {}
}

/**
 * The lines of an NDJSON text, one at a time, without materialising them all (a 5 MB body of
 * "1\n" is 2.5M lines). A plain cursor, not a generator: this runs once per event.
 */
class NdjsonLines {
  private start = 0;
  constructor(private readonly text: string) {}

  /** The next non-blank line, or null at the end. */
  next(): string | null {
    const text = this.text;
    while (this.start < text.length) {
      let end = text.indexOf("\n", this.start);
      if (end < 0) end = text.length;
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(this.start, end - 1) : text.slice(this.start, end);
      this.start = end + 1;
      // Blank lines are skipped; only a line that starts with white space needs the trim.
      if (line.length > 0 && (line.charCodeAt(0) > 32 || line.trim() !== "")) return line;
    }
    return null;
  }
}

/** Newline-separated pieces, counted without cutting them out (an upper bound on the lines). */
function countLines(text: string): number {
  let n = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) n++;
  return text.length > 0 && !text.endsWith("\n") ? n + 1 : n;
}

/**
 * `POST /v1/events`: NDJSON (`application/x-ndjson`) or JSON (one event or an array). A bad
 * line never fails the others. The answer has a count per result and reason and lists at most
 * MAX_ERRORS_LISTED rejected lines, so its size does not grow with the body. The pipeline only
 * accumulates statistics, so intake never waits for analysis.
 */
export function registerEvents(app: FastifyInstance, deps: EventsDeps): void {
  app.addContentTypeParser(["application/x-ndjson", "application/ndjson", "text/plain"], { parseAs: "string" }, (_request, body, done) => {
    done(null, new NdjsonBody(String(body)));
  });
  app.post("/v1/events", async (request, reply) => {
    const body = request.body as unknown;
    const ndjson = body instanceof NdjsonBody ? body.text : null;
    const count = ndjson !== null ? countLines(ndjson) : Array.isArray(body) ? body.length : 1;
    if (count > deps.maxEventsPerRequest)
      return reply.code(413).send({ errorCode: "TOO_MANY_EVENTS", errorDetails: `${count} events in one request; at most ${deps.maxEventsPerRequest} (send several requests)` });
    const items: readonly unknown[] = ndjson !== null ? [] : Array.isArray(body) ? body : [body];
    const cursor = ndjson !== null ? new NdjsonLines(ndjson) : null;
    const next = (i: number): unknown => (cursor ? cursor.next() : i < items.length ? items[i] : null);
    const totals = { accepted: 0, ignored: 0, rejected: 0 };
    const reasons: Record<"ignored" | "rejected", Map<string, number>> = { ignored: new Map(), rejected: new Map() };
    const errors: { line: number; code: string; message: string }[] = [];
    const allowed = clientTargetsOf(request);
    const ingest = allowed === null ? deps.ingest : (line: unknown) => deps.ingestUntrusted(line, allowed);
    for (let n = 1; ; n++) {
      // JSON bodies may hold a null event (rejected below); only the cursor's null ends them.
      if (cursor === null && n > items.length) break;
      const line = next(n - 1);
      if (cursor !== null && line === null) break;
      const processed = ingest(line);
      totals[processed.kind]++;
      if (processed.kind === "rejected") {
        const code = processed.problem.code;
        reasons.rejected.set(code, (reasons.rejected.get(code) ?? 0) + 1);
        if (errors.length < MAX_ERRORS_LISTED) errors.push({ line: n, code, message: processed.problem.message });
      } else if (processed.kind === "ignored") reasons.ignored.set(processed.reason, (reasons.ignored.get(processed.reason) ?? 0) + 1);
      if (n % LINES_PER_SLICE === 0) await yieldToEventLoop();
    }
    return reply.code(200).send({
      ...totals,
      reasons: { ignored: Object.fromEntries(reasons.ignored), rejected: Object.fromEntries(reasons.rejected) },
      errors,
      ...(totals.rejected > errors.length ? { errorsNotListed: totals.rejected - errors.length } : {}),
    });
  });
}
