/**
 * Event validation benchmark: the hand-written per-line parser (src/stream/parse-event.ts)
 * against the same rules as a TypeBox schema compiled by ajv (config/validate.ts, in place),
 * on the same 10,000 already-parsed events (two thirds outcomes), in one run. The figure is
 * nanoseconds per event, best of 9 repetitions after 3 warm-ups. It decides whether the events
 * path keeps its own parser (issue: one schema library, "unless a benchmark shows…").
 *
 *   npm run bench:event-parse            # table
 *   npm run bench:event-parse -- --json  # {"handNsPerEvent":…,"schemaNsPerEvent":…,"ratio":…}
 */
import { Type } from "@sinclair/typebox";
import { compile, TaggedUnion } from "../../src/config/validate.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { parseEvent } from "../../src/stream/parse-event.js";

const json = process.argv.includes("--json");
const N = 10_000;
const REPEATS = 9;
const WARM_UPS = 3;

const common = {
  target: Type.String({ minLength: 1 }),
  unit: Type.String({ minLength: 1, maxLength: 256 }),
  ts: Type.Number({ minimum: 0 }),
  arm: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
};
const EventSchema = TaggedUnion("type", [
  Type.Object({ type: Type.Literal("exposure"), ...common, attributes: Type.Optional(Type.Record(Type.String({ not: { enum: ["__proto__", "constructor", "prototype"] } }), Type.String())) }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal("outcome"),
      ...common,
      metrics: Type.Record(Type.String({ pattern: "^[a-z][a-z0-9_]{0,63}$" }), Type.Number({ minimum: -1e12, maximum: 1e12 }), { minProperties: 1, maxProperties: 64 }),
    },
    { additionalProperties: false },
  ),
]);
const schemaCheck = compile(EventSchema, "event", { inPlace: true });

const rng = seededRng("event-parse");
const events: object[] = [];
for (let i = 0; i < N; i++) {
  const unit = `u${rng.int(1_000_000)}`;
  if (i % 3 === 0) events.push({ type: "exposure", target: "checkout", unit, ts: 1_700_000_000_000 + i, attributes: { country: "DE" } });
  else events.push({ type: "outcome", target: "checkout", unit, ts: 1_700_000_000_000 + i, metrics: { conversion: rng.int(2), latency_ms: 100 + rng.next() * 200, error: 0 } });
}

function best(fn: () => number): number {
  for (let w = 0; w < WARM_UPS; w++) fn();
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    if (fn() !== N) throw new Error("an event was refused: the two validators disagree with the fixture");
    fastest = Math.min(fastest, performance.now() - start);
  }
  return (fastest * 1e6) / N;
}

const handNs = best(() => events.reduce<number>((ok, e) => ok + (parseEvent(e).ok ? 1 : 0), 0));
const schemaNs = best(() => events.reduce<number>((ok, e) => ok + (schemaCheck(e).ok ? 1 : 0), 0));
const result = { events: N, handNsPerEvent: Math.round(handNs), schemaNsPerEvent: Math.round(schemaNs), ratio: Number((schemaNs / handNs).toFixed(2)) };
if (json) process.stdout.write(JSON.stringify(result) + "\n");
else {
  console.log(`event validation, ${N} parsed events, best of ${REPEATS}`);
  console.log(`  hand-written parser (kept)   ${result.handNsPerEvent} ns/event`);
  console.log(`  TypeBox schema, ajv-compiled ${result.schemaNsPerEvent} ns/event`);
  console.log(`  schema / hand                ${result.ratio}×`);
}
