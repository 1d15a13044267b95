/**
 * The named baseline of bench:tail: a bare fastify server doing the least an OFREP + events
 * server can do — answer the same OFREP JSON evolvd answers, and take the same NDJSON bodies
 * (JSON.parse per line, a per-unit Map). Prints its URL on stdout and runs until killed.
 */
import Fastify from "fastify";

const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
const answer = {
  key: "checkout.retry.limit",
  value: 2,
  reason: "STATIC",
  variant: "6f4ef242c851",
  metadata: { target: "checkout", version: "6f4ef242c8516b894b548ee6562406deea75b34c2b0990299848c7e726fb6ff2", arm: "baseline", experiment: "checkout/g1" },
};
const units = new Map<string, number>();
app.addContentTypeParser("application/x-ndjson", { parseAs: "string" }, (_request, body, done) => done(null, body));
app.post("/ofrep/v1/evaluate/flags/:key", async (request) => {
  const unit = (request.body as { context?: { targetingKey?: string } }).context?.targetingKey ?? "";
  units.set(unit, (units.get(unit) ?? 0) + 1);
  return answer;
});
app.post("/v1/events", async (request) => {
  let accepted = 0;
  for (const line of String(request.body).split("\n")) {
    if (line === "") continue;
    const event = JSON.parse(line) as { unit: string };
    units.set(event.unit, (units.get(event.unit) ?? 0) + 1);
    accepted++;
  }
  return { accepted, ignored: 0, rejected: 0 };
});
const address = await app.listen({ host: "127.0.0.1", port: Number(process.argv[2] ?? 0) });
process.stdout.write(`${address}\n`);
