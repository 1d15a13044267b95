import { HASH_VERSION, BUCKETS } from "../../../src/assign/hash.js";
import { createClient, type EvolvdClient } from "../../../src/sdk/index.js";
import type { ServingState } from "../../../src/stream/serving-state.js";

// Half the buckets to arm 0, half to arm 1.
const HALVES = Buffer.from(new Uint16Array(BUCKETS).map((_, i) => (i < BUCKETS / 2 ? 0 : 1)).buffer).toString("base64");
const stages = { settings: { scorer: "recommender" }, errorKpi: "error" };

/** The serving state of target "feed", its scorer bound to the recommender component, with a candidate on half the buckets. */
export function state(baseline: { version: string; scorer: string }, candidate: { version: string; scorer: string } | null): ServingState {
  const arm = (v: { version: string; scorer: string }) => ({ version: v.version, values: { scorer: v.scorer } });
  return {
    target: "feed",
    baseline: arm(baseline),
    stages,
    experiment: candidate ? { id: "feed/g1", hashVersion: HASH_VERSION, salt: "feed/g1", arms: [arm(baseline), arm(candidate)], aliases: [], buckets: HALVES, revision: 1, audience: null, segmented: false } : null,
  } as ServingState;
}

/** A client fed states by hand through a stub daemon (one open stream), keeping what it posts to /v1/events. */
export async function fedClient(first: ServingState): Promise<{ client: EvolvdClient; push(s: ServingState): void; events: Record<string, unknown>[] }> {
  const events: Record<string, unknown>[] = [];
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let id = 0;
  const push = (s: ServingState) => controller?.enqueue(new TextEncoder().encode(`event: state\nid: ${++id}\ndata: ${JSON.stringify({ targets: [s] })}\n\n`));
  const stub = (async (url: string | URL | Request, init?: RequestInit) => {
    const path = String(url);
    if (path.includes("/v1/sdk/stream")) {
      const body = new ReadableStream<Uint8Array>({ start: (c) => void ((controller = c), push(first)) });
      return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
    }
    if (path.includes("/v1/sdk/state")) return new Response(null, { status: 304 });
    if (path.includes("/v1/events")) for (const line of String(init?.body).split("\n")) events.push(JSON.parse(line));
    return new Response("{}", { status: 200 });
  }) as typeof fetch;
  const client = createClient({ url: "http://stub", fetch: stub, flushMs: 600_000, maxStaleMs: 3_600_000 });
  await client.ready(5000);
  return { client, push, events };
}

