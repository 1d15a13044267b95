import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import type { Processed } from "../stream/processed.js";

export interface EventsDeps {
  /** Feeds one line into the transaction pipeline and returns what became of it. */
  readonly ingest: (line: unknown) => Processed;
  /** Most lines one request may carry (413 beyond, nothing ingested). */
  readonly maxEventsPerRequest: number;
}

/** Rejected lines listed by line number in an answer; the rest are only counted. */
export const MAX_ERRORS_LISTED = 100;
/** Lines ingested between two yields to the event loop, so evaluations never wait on a big batch. */
const LINES_PER_SLICE = 256;

/** An NDJSON body, kept apart from JSON values (a JSON object with an `ndjson` key is not one). */
class NdjsonBody {
  constructor(readonly text: string) {}
}

/** The lines of an NDJSON text, without materialising them all (a 5 MB body of "1\n" is 2.5M lines). */
function* ndjsonLines(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    if (line.trim() !== "") yield line;
    start = end + 1;
  }
}

function countLines(text: string): number {
  let n = 0;
  for (const _ of ndjsonLines(text)) n++;
  return n;
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
    const lines: Iterable<unknown> = ndjson !== null ? ndjsonLines(ndjson) : Array.isArray(body) ? body : [body];
    const totals = { accepted: 0, ignored: 0, rejected: 0 };
    const reasons: Record<"ignored" | "rejected", Map<string, number>> = { ignored: new Map(), rejected: new Map() };
    const errors: { line: number; code: string; message: string }[] = [];
    let n = 0;
    for (const line of lines) {
      n++;
      const processed = deps.ingest(line);
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
