import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { startTestDaemon, waitFor } from "../helpers.js";
import { fastWorkspace, getJson, post, sendEvents } from "../scale-out.js";

/** Ticks an hour apart: nothing decides while the test runs; half the traffic to the candidates. */
const QUIET = { analysisEveryMs: 3_600_000, canary: { steps: [0.5], minUnitsPerStep: 50 }, audience: { and: [{ in: [{ var: "country" }, ["DE", "AT"]] }, { "==": [{ var: "device" }, "mobile"] }] } };

interface Answer {
  readonly reason: string;
  readonly metadata: { readonly version: string; readonly experiment?: string; readonly arm?: string; readonly audience?: string };
}

describe("an audience decides who takes part", () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startTestDaemon(fastWorkspace(QUIET));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
  }, 30_000);
  afterAll(async () => {
    await daemon?.stop();
  });
  const evaluate = async (context: Record<string, unknown>): Promise<Answer> => {
    const response = await fetch(`${daemon.url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context }) });
    expect(response.status).toBe(200);
    return (await response.json()) as Answer;
  };
  const units = async (): Promise<number> => {
    const detail = await getJson<{ experiment: { arms: { units: number }[] } }>(`${daemon.url}/v1/targets/checkout`);
    return detail.experiment.arms.reduce((a, b) => a + b.units, 0);
  };

  it("units outside never get a candidate and are not counted; OFREP says so", async () => {
    const baseline = (await getJson<{ baseline: { version: string } }>(`${daemon.url}/v1/targets/checkout`)).baseline.version;
    for (const context of [{ country: "US", device: "mobile" }, { country: "DE", device: "desktop" }, {}]) {
      for (let i = 0; i < 200; i++) {
        const answer = await evaluate({ targetingKey: `out-${i}`, ...context });
        expect(answer).toMatchObject({ reason: "DEFAULT", metadata: { version: baseline, audience: "outside" } });
        expect(answer.metadata.experiment).toBeUndefined();
      }
    }
    // Outcomes of those units (even naming the baseline arm) and exposures of outside units count for nothing.
    const outcomes = Array.from({ length: 200 }, (_, i) => ({ type: "outcome", target: "checkout", unit: `out-${i}`, ts: 1, arm: baseline, metrics: { conversion: 1 } }));
    const exposures = Array.from({ length: 50 }, (_, i) => ({ type: "exposure", target: "checkout", unit: `out-e-${i}`, ts: 1, attributes: { country: "US", device: "mobile" } }));
    const answer = await sendEvents(daemon.url, [...outcomes, ...exposures]);
    expect(answer).toMatchObject({ accepted: 0, ignored: 250, rejected: 0 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await units()).toBe(0);
  });

  it("units inside are split and counted, and keep their arm when attributes the audience does not read change", async () => {
    const arms = new Map<string, string>();
    let candidates = 0;
    for (let i = 0; i < 200; i++) {
      const answer = await evaluate({ targetingKey: `in-${i}`, country: "DE", device: "mobile", plan: "free" });
      expect(answer.metadata).toMatchObject({ audience: "inside", experiment: "checkout/g1" });
      arms.set(`in-${i}`, answer.metadata.version);
      if (answer.reason === "SPLIT") candidates++;
    }
    expect(candidates).toBeGreaterThan(50);
    for (let i = 0; i < 200; i++) {
      const answer = await evaluate({ targetingKey: `in-${i}`, country: "AT", device: "mobile", plan: "pro", orders30d: 7 });
      expect(answer.metadata.version).toBe(arms.get(`in-${i}`));
    }
    // Exposures by event: inside with their attributes, counted.
    const exposures = Array.from({ length: 50 }, (_, i) => ({ type: "exposure", target: "checkout", unit: `in-e-${i}`, ts: 1, attributes: { country: "AT", device: "mobile" } }));
    expect(await sendEvents(daemon.url, exposures)).toMatchObject({ accepted: 50, ignored: 0 });
    await waitFor(async () => (await units()) === 250, 5_000, "250 units counted");
  });
});

describe("pause, resume and operators' candidates over the admin API", () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startTestDaemon(fastWorkspace({ analysisEveryMs: 3_600_000, canary: { steps: [0.5], minUnitsPerStep: 50 } }));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
  }, 30_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it("pause keeps the experiment id, its units and statistics; resume goes on with it", async () => {
    const exposures = Array.from({ length: 100 }, (_, i) => ({ type: "exposure", target: "checkout", unit: `p-${i}`, ts: 1 }));
    expect((await sendEvents(daemon.url, exposures)).accepted).toBe(100);
    const paused = await (await post(`${daemon.url}/v1/targets/checkout/pause`, { reason: "test" })).json();
    expect(paused).toEqual({ target: "checkout", killed: false, experiment: { id: "checkout/g1", status: "paused", paused: ["operator"] } });
    expect(await sendEvents(daemon.url, exposures.map((e) => ({ ...e, unit: `${e.unit}-late` })))).toMatchObject({ accepted: 0, ignored: 100 });
    const detail = await getJson<{ experiment: { id: string; status: string; arms: { units: number }[] } }>(`${daemon.url}/v1/targets/checkout`);
    expect(detail.experiment.status).toBe("paused");
    const resumed = await (await post(`${daemon.url}/v1/targets/checkout/resume`)).json();
    expect(resumed).toEqual({ target: "checkout", killed: false, experiment: { id: "checkout/g1", status: "canary", paused: [] } });
    expect((await sendEvents(daemon.url, exposures.map((e) => ({ ...e, unit: `${e.unit}-again` })))).accepted).toBe(100);
    await waitFor(async () => {
      const d = await getJson<{ experiment: { arms: { units: number }[] } }>(`${daemon.url}/v1/targets/checkout`);
      return d.experiment.arms.reduce((a, b) => a + b.units, 0) === 200;
    }, 5_000, "the units before the pause kept, the ones after it added");
  });

  it("a proposed candidate is validated, kept as a draft and refused with the field named when it breaks the schema", async () => {
    const bad = await post(`${daemon.url}/v1/targets/checkout/candidates`, { values: { retry: { limit: 99 } } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_candidate", message: expect.stringContaining("retry.limit") });
    const good = await post(`${daemon.url}/v1/targets/checkout/candidates`, { values: { retry: { limit: 5 } }, note: "ops" });
    expect(good.status).toBe(201);
    const body = (await good.json()) as { version: string; changes: unknown[]; drafts: string[] };
    expect(body.changes).toEqual([{ path: "retry.limit", op: "edit", from: 2, to: 5 }]);
    expect(body.drafts).toEqual([body.version]);
    expect((await post(`${daemon.url}/v1/targets/checkout/candidates`, { values: { retry: { limit: 5 } } })).status).toBe(409);
    // The next generation takes it: kill g1, resume.
    await post(`${daemon.url}/v1/targets/checkout/kill`, { reason: "end g1" });
    await post(`${daemon.url}/v1/targets/checkout/resume`);
    await waitFor(async () => {
      const d = await getJson<{ experiment: { id: string; arms: { version: string }[] } | null }>(`${daemon.url}/v1/targets/checkout`);
      return d.experiment?.id === "checkout/g2" && d.experiment.arms.some((a) => a.version === body.version);
    }, 10_000, "the draft live in g2");
  });
});

describe("segments break every arm's KPIs down", () => {
  let daemon: Daemon;
  const segments = [{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }];
  beforeAll(async () => {
    daemon = await startTestDaemon(fastWorkspace({ analysisEveryMs: 500, minUnitsPerArm: 1e6, maxUnitsPerArm: 1e6, canary: { steps: [0.5], minUnitsPerStep: 1e6 }, segments }));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
  }, 30_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it("in the status view and the metrics, segment by segment", async () => {
    const events = Array.from({ length: 400 }, (_, i) => [
      { type: "exposure", target: "checkout", unit: `s-${i}`, ts: 1, attributes: { device: i % 4 === 0 ? "mobile" : "desktop" } },
      { type: "outcome", target: "checkout", unit: `s-${i}`, ts: 1, metrics: { conversion: i % 3 === 0 ? 1 : 0 } },
    ]).flat();
    expect((await sendEvents(daemon.url, events)).accepted).toBe(800);
    type Detail = { segments: { segment: string; baselineUnits: number; arms: { units: number; primary: unknown }[] }[] | null };
    await waitFor(async () => {
      const d = await getJson<Detail>(`${daemon.url}/v1/targets/checkout`);
      return d.segments?.reduce((n, s) => n + s.baselineUnits + s.arms.reduce((m, a) => m + a.units, 0), 0) === 400;
    }, 10_000, "a tick that saw the 400 units, segment by segment");
    const d = await getJson<Detail>(`${daemon.url}/v1/targets/checkout`);
    expect(d.segments?.map((s) => s.segment)).toEqual(["mobile", "other"]);
    const mobile = d.segments?.[0];
    expect((mobile?.baselineUnits ?? 0) + (mobile?.arms.reduce((m, a) => m + a.units, 0) ?? 0)).toBe(100);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^evolvd_segment_kpi_estimate\{target="checkout",segment="mobile",arm="candidate_1",kpi="conversion"\} /m);
  });
});

describe("per-segment baselines over HTTP", () => {
  let daemon: Daemon;
  const segments = [{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }];
  beforeAll(async () => {
    daemon = await startTestDaemon(fastWorkspace({ ...QUIET, audience: null, segments, segmentBaselines: true }));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
  }, 30_000);
  afterAll(async () => {
    await daemon?.stop();
  });
  const value = async (context: Record<string, unknown>): Promise<{ timeout_ms: number; version: string }> => {
    const response = await fetch(`${daemon.url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context }) });
    const body = (await response.json()) as { value: { timeout_ms: number }; metadata: { version: string } };
    return { timeout_ms: body.value.timeout_ms, version: body.metadata.version };
  };

  it("a segment rolled back to its own version serves it to its units only; status, metrics and history say so", async () => {
    const send = async (path: string, body: unknown) => {
      const r = await post(`${daemon.url}${path}`, body);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    // A fixed traffic share outside (0, 1) is refused naming the field; one the baseline floor forbids, with the reason.
    const badShare = await send("/v1/targets/checkout/candidates", { values: { timeout_ms: 1234 }, share: 1.5 });
    expect(badShare.status).toBe(400);
    expect(JSON.stringify(badShare.body)).toContain("share");
    const tooBig = await send("/v1/targets/checkout/candidates", { values: { timeout_ms: 1234 }, share: 0.95 });
    expect(tooBig).toMatchObject({ status: 400, body: { error: "invalid_share" } });
    const drafted = await send("/v1/targets/checkout/candidates", { values: { timeout_ms: 1234 }, note: "mobile only" });
    expect(drafted.status).toBe(201);
    const version = drafted.body.version as string;
    // An unknown segment is refused with its name (the other refusals: tests/unit/lifecycle/segment-baselines.test.ts).
    const unknown = await send("/v1/targets/checkout/rollback", { version, segment: "tablet" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: "unknown_segment", message: expect.stringContaining(`no segment "tablet" (segments: mobile, other)`) });
    const moved = await send("/v1/targets/checkout/rollback", { version, segment: "mobile", reason: "try it on mobile" });
    expect(moved).toMatchObject({ status: 200, body: { baseline: version, segment: "mobile" } });
    const detail = await getJson<{ baseline: { version: string }; segmentBaselines?: Record<string, { version: string }> }>(`${daemon.url}/v1/targets/checkout`);
    expect(detail.segmentBaselines).toEqual({ mobile: { version, values: expect.objectContaining({ timeout_ms: 1234 }) } });
    // The rollback started the next generation: units in its baseline arm on mobile get mobile's baseline.
    await waitFor(async () => (await getJson<{ experiment: { id: string } | null }>(`${daemon.url}/v1/targets/checkout`)).experiment?.id === "checkout/g2", 15_000, "g2 live");
    let mobile = 0;
    let desktop = 0;
    for (let i = 0; i < 120; i++) {
      const m = await value({ targetingKey: `sb-${i}`, device: "mobile" });
      const d = await value({ targetingKey: `sb-${i}`, device: "desktop" });
      if (m.version === version) mobile++;
      if (d.version === detail.baseline.version) desktop++;
      // The same unit, same arm: either both on their segment's baseline or both on one candidate.
      expect(m.version === version).toBe(d.version === detail.baseline.version);
    }
    expect(mobile).toBeGreaterThan(20);
    expect(desktop).toBe(mobile);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toContain(`evolvd_segment_baseline_info{target="checkout",segment="mobile",version="${version}"} 1`);
    const history = await getJson<{ history: { kind: string; segment?: string; version?: string; cause?: string }[] }>(`${daemon.url}/v1/targets/checkout/history`);
    expect(history.history.filter((e) => e.kind === "baseline" && e.segment === "mobile")).toEqual([expect.objectContaining({ cause: "rollback", version })]);
    // Outcomes naming mobile's baseline are counted for the baseline arm.
    const answer = await sendEvents(daemon.url, [
      { type: "exposure", target: "checkout", unit: "alias-1", ts: 1, arm: version, attributes: { device: "mobile" } },
      { type: "outcome", target: "checkout", unit: "alias-1", ts: 1, arm: version, metrics: { conversion: 1 } },
    ]);
    expect(answer).toMatchObject({ accepted: 2, rejected: 0 });
  });
});
