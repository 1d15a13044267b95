/**
 * The event load of bench:tail, run as its own process so it never shares an event loop with
 * what it loads: NDJSON batches of `batch` lines (an exposure and an outcome per new unit) at
 * `rate` events per second, paced on a fixed schedule, for `seconds`. Prints one JSON line
 * with what it sent and what the server accepted.
 *
 *   tsx event-load.ts <url> <rate> <batch> <seconds>
 */
import { Agent, request } from "node:http";

const [base, rateText, batchText, secondsText] = process.argv.slice(2);
const url = new URL(base as string);
const rate = Number(rateText);
const batch = Number(batchText);
const seconds = Number(secondsText);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function post(body: string): Promise<number> {
  return new Promise((done) => {
    const req = request({ host: url.hostname, port: url.port, path: "/v1/events", method: "POST", agent, headers: { "content-type": "application/x-ndjson", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => done(res.statusCode === 200 ? ((JSON.parse(text) as { accepted: number }).accepted ?? 0) : 0));
    });
    req.on("error", () => done(0));
    req.end(body);
  });
}

let n = 0;
function body(): string {
  const lines: string[] = [];
  for (let i = 0; i < batch / 2; i++, n++) {
    const unit = `load-${n}`;
    lines.push(`{"type":"exposure","target":"checkout","unit":"${unit}","ts":1790000000000}`);
    lines.push(`{"type":"outcome","target":"checkout","unit":"${unit}","ts":1790000000000,"metrics":{"conversion":${n % 10 === 0 ? 1 : 0},"latency_ms":180,"error":0}}`);
  }
  return lines.join("\n");
}

const every = (batch / rate) * 1000;
const start = performance.now();
const sends: Promise<number>[] = [];
let late = 0;
for (let k = 0; k < (seconds * rate) / batch; k++) {
  const due = start + k * every;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  else late++;
  sends.push(post(body()));
}
const accepted = (await Promise.all(sends)).reduce((a, b) => a + b, 0);
const elapsed = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({ sent: n * 2, accepted, seconds: elapsed, eventsPerSec: Math.round(accepted / elapsed), lateBatches: late }) + "\n");
agent.destroy();
