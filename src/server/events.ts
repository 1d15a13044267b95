import type { FastifyInstance } from "fastify";
import type { Processed } from "../stream/processed.js";

export interface EventsDeps {
  /** Feeds one line into the transaction pipeline and returns what became of it. */
  readonly ingest: (line: unknown) => Processed;
}

/**
 * `POST /v1/events`: NDJSON (`application/x-ndjson`) or JSON (one event or an array). Each line
 * gets its own result; a bad line never fails the others. The pipeline only accumulates
 * statistics, so intake never waits for analysis.
 */
export function registerEvents(app: FastifyInstance, deps: EventsDeps): void {
  app.addContentTypeParser(["application/x-ndjson", "application/ndjson", "text/plain"], { parseAs: "string" }, (_request, body, done) => {
    done(null, { ndjson: String(body) });
  });
  app.post("/v1/events", async (request, reply) => {
    const body = request.body as unknown;
    const lines: unknown[] =
      body !== null && typeof body === "object" && "ndjson" in (body as object)
        ? String((body as { ndjson: string }).ndjson)
            .split("\n")
            .filter((line) => line.trim() !== "")
        : Array.isArray(body)
          ? body
          : [body];
    const results = lines.map((line, i) => {
      const processed = deps.ingest(line);
      if (processed.kind === "rejected") return { line: i + 1, status: "rejected", code: processed.problem.code, message: processed.problem.message };
      if (processed.kind === "ignored") return { line: i + 1, status: "ignored", reason: processed.reason };
      return { line: i + 1, status: "accepted" };
    });
    const count = (status: string) => results.filter((r) => r.status === status).length;
    return reply.code(200).send({ accepted: count("accepted"), ignored: count("ignored"), rejected: count("rejected"), results });
  });
}
