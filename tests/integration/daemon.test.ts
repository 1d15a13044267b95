import { spawn } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, type Daemon } from "../../src/daemon/daemon.js";
import { loadSettings } from "../../src/daemon/settings.js";
import { silentLogger } from "../../src/domain/logger.js";
import { CHECKOUT, ROOT, runCli, startTestDaemon, tempDir, waitFor, workspace } from "../helpers.js";

const TOKEN = "s3cret";

describe("evolvd start (in process)", () => {
  let daemon: Daemon;
  let dir: string;
  let drop: string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(daemon.url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const admin = (path: string, init: RequestInit = {}) => fetch(daemon.url + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...(init.headers ?? {}) } });

  beforeAll(async () => {
    dir = tempDir();
    drop = join(dir, "configs");
    cpSync(join(ROOT, "configs"), drop, { recursive: true });
    cpSync(join(ROOT, "simulations"), join(dir, "simulations"), { recursive: true });
    const settings = loadSettings({ env: {}, args: ["--port", "0", "--data-dir", join(dir, "data"), "--drop-dir", drop, "--admin-token", TOKEN, "--debounce-ms", "50", "--rescan-ms", "0", "--max-body-bytes", "65536"] });
    daemon = await startDaemon(settings, dir, silentLogger);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("is live and ready", async () => {
    expect((await fetch(daemon.url + "/livez")).status).toBe(200);
    expect(await (await fetch(daemon.url + "/readyz")).json()).toEqual({ status: "ready" });
  });

  it("evaluates a setting and a whole target over OFREP, stickily, naming target, experiment, arm and version", async () => {
    const one = await (await post("/ofrep/v1/evaluate/flags/checkout.retry.limit", { context: { targetingKey: "user-7" } })).json();
    expect(one.key).toBe("checkout.retry.limit");
    expect(typeof one.value).toBe("number");
    expect(["SPLIT", "STATIC"]).toContain(one.reason);
    expect(one.metadata).toMatchObject({ target: "checkout", experiment: "checkout/g1" });
    expect(one.metadata.version).toMatch(/^[0-9a-f]{64}$/);
    for (let i = 0; i < 5; i++) expect((await (await post("/ofrep/v1/evaluate/flags/checkout.retry.limit", { context: { targetingKey: "user-7" } })).json()).variant).toBe(one.variant);
    const whole = await (await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: "user-7" } })).json();
    expect(whole.value.retry.limit).toBe(one.value);
    // Some units of 400 land in a candidate arm (10% canary share): SPLIT.
    const reasons = new Set<string>();
    for (let i = 0; i < 400; i++) reasons.add((await (await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: `u${i}` } })).json()).reason);
    expect(reasons).toEqual(new Set(["SPLIT", "STATIC"]));
  });

  it("answers OFREP errors as the spec says", async () => {
    const missing = await post("/ofrep/v1/evaluate/flags/checkout", { context: {} });
    expect(missing.status).toBe(400);
    expect((await missing.json()).errorCode).toBe("TARGETING_KEY_MISSING");
    const invalid = await post("/ofrep/v1/evaluate/flags/checkout", { context: "user-1" });
    expect((await invalid.json()).errorCode).toBe("INVALID_CONTEXT");
    const notFound = await post("/ofrep/v1/evaluate/flags/nothing.here", { context: { targetingKey: "u" } });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ key: "nothing.here", errorCode: "FLAG_NOT_FOUND" });
    const noSetting = await post("/ofrep/v1/evaluate/flags/checkout.retry.nope", { context: { targetingKey: "u" } });
    expect(noSetting.status).toBe(404);
    const garbled = await post("/ofrep/v1/evaluate/flags/checkout", "{not json");
    expect(garbled.status).toBe(400);
    expect((await garbled.json()).errorCode).toBe("PARSE_ERROR");
  });

  it("bulk evaluation sends an ETag and answers 304 to If-None-Match", async () => {
    const first = await post("/ofrep/v1/evaluate/flags", { context: { targetingKey: "user-9" } });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    const flags = (await first.json()).flags as { key: string; value: unknown; variant: string; metadata: Record<string, string> }[];
    expect(flags[0]?.key).toBe("checkout");
    // Every setting is its own flag too, with the target's variant and metadata, and the same value a single evaluation gives.
    const byKey = new Map(flags.map((f) => [f.key, f]));
    expect([...byKey.keys()]).toEqual(expect.arrayContaining(["checkout.retry.limit", "checkout.timeout_ms", "checkout.cache.enabled", "checkout.cache.policy", "checkout.routing.weights", "checkout.pricing.function"]));
    const single = await (await post("/ofrep/v1/evaluate/flags/checkout.timeout_ms", { context: { targetingKey: "user-9" } })).json();
    expect(byKey.get("checkout.timeout_ms")).toMatchObject({ value: single.value, variant: single.variant, metadata: single.metadata });
    expect(byKey.get("checkout.routing.weights")?.value).toEqual((flags[0]?.value as { routing: { weights: number[] } }).routing.weights);
    const again = await post("/ofrep/v1/evaluate/flags", { context: { targetingKey: "user-9" } }, { "if-none-match": etag });
    expect(again.status).toBe(304);
  });

  it("takes events as NDJSON or JSON with a result per line, and 413 for an oversize body", async () => {
    const arm = (await (await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: "buyer-1" } })).json()).metadata.version;
    const ndjson = [
      JSON.stringify({ type: "outcome", target: "checkout", unit: "buyer-1", ts: Date.now(), metrics: { conversion: 1, latency_ms: 180, error: 0 } }),
      "{broken",
      JSON.stringify({ type: "outcome", target: "checkout", unit: "never-seen", ts: Date.now(), metrics: { conversion: 0 } }),
      JSON.stringify({ type: "outcome", target: "checkout", unit: "buyer-1", ts: Date.now(), arm, metrics: { conversion: 0 } }),
    ].join("\n");
    const res = await fetch(daemon.url + "/v1/events", { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: ndjson });
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(body.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([[2, "invalid_json"], [3, "unit_not_exposed"]]);
    expect(body.reasons).toEqual({ ignored: {}, rejected: { invalid_json: 1, unit_not_exposed: 1 } });
    const array = await (await post("/v1/events", [{ type: "exposure", target: "checkout", unit: "x", ts: 1 }, { type: "exposure", target: "nowhere", unit: "x", ts: 1 }])).json();
    expect(array).toMatchObject({ accepted: 1, rejected: 1, errors: [{ line: 2, code: "unknown_target" }] });
    const big = await post("/v1/events", "x".repeat(70_000), { "content-type": "application/x-ndjson" });
    expect(big.status).toBe(413);
  });

  it("guards the admin API with the bearer token", async () => {
    expect((await fetch(daemon.url + "/v1/targets")).status).toBe(401);
    expect((await fetch(daemon.url + "/v1/targets", { headers: { authorization: "Bearer nope" } })).status).toBe(403);
    const targets = await (await admin("/v1/targets")).json();
    expect(targets.targets[0]).toMatchObject({ target: "checkout", killed: false });
  });

  it("shows a target with its baseline and the live experiment's arms", async () => {
    const detail = await (await admin("/v1/targets/checkout")).json();
    expect(detail.baseline.values.retry.limit).toBe(2);
    // The file's baseline is the anchor: no guardrail has drifted from it.
    expect(detail.guardrailDrift).toEqual({});
    // The first generation went live with screening results: the search has them as evidence.
    expect(detail.search.strategy).toBe("surrogate");
    expect(detail.search.observations).toBeGreaterThan(0);
    expect(detail.search.live).toBe(0);
    expect(detail.experiment.status).toBe("canary");
    expect(detail.experiment.arms[0].role).toBe("baseline");
    expect(detail.experiment.arms.length).toBeGreaterThanOrEqual(2);
    const versions = await (await admin("/v1/targets/checkout/versions")).json();
    expect(versions.versions.length).toBeGreaterThanOrEqual(3);
    const [a, b] = [detail.experiment.arms[0].version, detail.experiment.arms[1].version];
    const diff = await (await admin(`/v1/diff?from=${a}&to=${b}`)).json();
    expect(diff.changes.length).toBeGreaterThan(0);
    expect((await admin("/v1/targets/nobody")).status).toBe(404);
  });

  it("evolvd status, history and diff work against the running daemon", async () => {
    const remote = ["--url", daemon.url, "--token", TOKEN];
    const all = await runCli(["status", ...remote]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/checkout\s+6f4ef242c851\s+checkout\/g1 canary/);
    const one = await runCli(["status", "checkout", ...remote]);
    expect(one.stdout).toMatch(/experiment checkout\/g1: canary step 1/);
    expect(one.stdout).toMatch(/baseline/);
    const history = await runCli(["history", "checkout", ...remote]);
    // The whole history, as from the data folder: the version, its baseline move, the transitions.
    expect(history.stdout).toMatch(/version\s+6f4ef242c851\s+g0 from file: baseline values/);
    expect(history.stdout).toMatch(/baseline\s+6f4ef242c851\s+initial/);
    expect(history.stdout).toMatch(/experiment\s+checkout\/g1\s+screening → canary/);
    const detail = await (await admin("/v1/targets/checkout")).json();
    const diff = await runCli(["diff", detail.experiment.arms[0].version, detail.experiment.arms[1].version, ...remote]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/changed/);
    const refused = await runCli(["status", "--url", daemon.url, "--token", "wrong"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/403/);
  });

  it("kills an experiment before the next evaluation, then rolls back to any version", async () => {
    const candidate = (await (await admin("/v1/targets/checkout")).json()).experiment.arms[1].version;
    const kill = await runCli(["kill", "checkout", "--url", daemon.url, "--token", TOKEN, "--reason", "test"]);
    expect(kill.code).toBe(0);
    for (let i = 0; i < 50; i++) expect((await (await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: `k${i}` } })).json()).reason).toBe("STATIC");
    const rolled = await admin("/v1/targets/checkout/rollback", { method: "POST", body: JSON.stringify({ version: candidate, reason: "test rollback" }) });
    expect(rolled.status).toBe(200);
    // The kill switch still holds the target: everyone gets the rolled-back baseline.
    for (let i = 0; i < 20; i++) expect((await (await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: `k${i}` } })).json()).metadata.version).toBe(candidate);
    const history = readFileSync(join(dir, "data", "targets", "checkout", "history.ndjson"), "utf8");
    expect(history).toContain('"cause":"rollback"');
    expect(history).toContain('"to":"killed"');
    const again = await admin("/v1/targets/checkout/rollback", { method: "POST", body: JSON.stringify({ version: candidate }) });
    expect(again.status).toBe(409);
    expect((await admin("/v1/targets/checkout/resume", { method: "POST" })).status).toBe(200);
    // Resuming starts the next generation at once, from the rolled-back baseline. Its outcome is
    // known: what generation 2 proposes and how its simulated screening judges the proposals are
    // seeded by the target file's policy seed ("checkout") and the generation number, from that
    // baseline, so two candidates (liveCandidates) pass and it goes live in canary.
    const resumed = await (await admin("/v1/targets/checkout")).json();
    expect(resumed.baseline.version).toBe(candidate);
    expect(resumed.lastGeneration).toMatchObject({ generation: 2, status: "canary" });
    expect(resumed.experiment).toMatchObject({ id: "checkout/g2", status: "canary" });
    expect(resumed.experiment.arms.map((a: { role: string }) => a.role)).toEqual(["baseline", "candidate", "candidate"]);
    expect(resumed.experiment.arms[0].version).toBe(candidate);
    // Its candidates were mutated from the rolled-back baseline.
    const versions: { id: string; parent: string | null; generation: number }[] = (await (await admin("/v1/targets/checkout/versions")).json()).versions;
    for (const arm of resumed.experiment.arms.slice(1)) expect(versions.find((v) => v.id === arm.version)).toMatchObject({ parent: candidate, generation: 2 });
    // And they are served: some of 200 new units land in a candidate arm.
    const served = new Set<string>();
    for (let i = 0; i < 200; i++) served.add((await (await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: `g2-${i}` } })).json()).metadata.version);
    expect([...served].some((v) => v !== candidate)).toBe(true);
  });

  it("refuses an invalid drop with its reasons, keeping the last good configuration", async () => {
    const good = readFileSync(CHECKOUT, "utf8");
    const bad = JSON.parse(good);
    bad.baseline.timeout_ms = 99999;
    writeFileSync(join(drop, "checkout.json"), JSON.stringify(bad));
    // A drop is applied (or refused) once two reads see the same content: two scans, then the refusal shows.
    await daemon.rescan();
    await daemon.rescan();
    const targets = async () => (await admin("/v1/targets")).json();
    await waitFor(async () => (await targets()).rejectedDrops.length > 0, 5_000, "the bad drop refused");
    const status = await targets();
    expect(status.rejectedDrops[0].problems.join()).toMatch(/baseline\.timeout_ms: must be within \[200, 5000\]/);
    expect(status.targets[0].target).toBe("checkout");
    expect((await post("/ofrep/v1/evaluate/flags/checkout.timeout_ms", { context: { targetingKey: "u" } })).status).toBe(200);
    const metrics = await (await fetch(daemon.url + "/metrics")).text();
    expect(metrics).toMatch(/evolvd_drops_rejected_total\{reason="invalid_target_file"\} 1/);
    writeFileSync(join(drop, "checkout.json"), good);
  });

  it("a changed target file applies its new policy", async () => {
    const changed = JSON.parse(readFileSync(CHECKOUT, "utf8"));
    changed.description = "changed in the test";
    changed.policy.candidatesPerGeneration = 3;
    writeFileSync(join(drop, "checkout.json"), JSON.stringify(changed));
    // Applied once two reads see the same content: two scans, then the new description shows.
    await daemon.rescan();
    await daemon.rescan();
    const target = async () => (await admin("/v1/targets/checkout")).json();
    await waitFor(async () => (await target()).description === "changed in the test", 5_000, "the changed file applied");
    const detail = await target();
    expect(detail.description).toBe("changed in the test");
    expect(detail.policy.candidatesPerGeneration).toBe(3);
    expect((await (await admin("/v1/targets")).json()).rejectedDrops).toEqual([]);
  });

  it("a kill file stops the target's experiment; removing it resumes", async () => {
    writeFileSync(join(drop, "checkout.kill"), "");
    await daemon.rescan();
    expect((await (await admin("/v1/targets")).json()).targets[0].killed).toBe(true);
    rmSync(join(drop, "checkout.kill"));
    await daemon.rescan();
    expect((await (await admin("/v1/targets")).json()).targets[0].killed).toBe(false);
  });

  it("removing a target file stops its target and keeps its history", async () => {
    rmSync(join(drop, "checkout.json"));
    await daemon.rescan();
    expect((await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: "u" } })).status).toBe(404);
    expect((await admin("/v1/targets/checkout/versions")).status).toBe(200);
  });

  it("exports Prometheus metrics named evolvd_*", async () => {
    const text = await (await fetch(daemon.url + "/metrics")).text();
    for (const name of ["evolvd_events_total", "evolvd_evaluations_total", "evolvd_decisions_total", "evolvd_http_request_duration_seconds_bucket", "evolvd_baseline_info"])
      expect(text).toContain(name);
    expect(text).not.toMatch(/unit="/);
    // Embedded: no shared state, so no series that an "unreachable" alert could fire on.
    expect(text).not.toMatch(/^evolvd_shared_state_up/m);
  });
});

describe("settings", () => {
  it("refuse the admin API on a non-loopback address without a token", () => {
    expect(() => loadSettings({ env: {}, args: ["--host", "0.0.0.0"] })).toThrow(/refusing to serve the admin API on 0\.0\.0\.0 without --admin-token/);
    expect(loadSettings({ env: { EVOLVD_ADMIN_TOKEN: "t" }, args: ["--host", "0.0.0.0"] }).adminToken).toBe("t");
  });

  it("name a bad setting", () => {
    expect(() => loadSettings({ env: { EVOLVD_PORT: "http" }, args: [] })).toThrow(/port/);
  });
});

describe("evolvd start (a real process)", () => {
  it("stops on SIGTERM with exit code 0 and resumes its experiment when started again", async () => {
    const dir = workspace();
    const run = () => {
      const child = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--port", "0", "--data-dir", "data", "--drop-dir", "configs"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      return { child, output: () => out };
    };
    const first = run();
    await waitFor(() => first.output().includes("evolvd started"));
    // SIGHUP rescans the drop folder: a bad file dropped now is refused at once.
    writeFileSync(join(dir, "configs", "bad.json"), "{ nope");
    first.child.kill("SIGHUP");
    await waitFor(() => first.output().includes("target file rejected"));
    rmSync(join(dir, "configs", "bad.json"));
    const exited = new Promise<number | null>((done) => first.child.on("exit", (code) => done(code)));
    first.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(first.output()).toContain("evolvd stopped");
    const second = run();
    await waitFor(() => second.output().includes("evolvd started"));
    second.child.kill("SIGINT");
    await new Promise((done) => second.child.on("exit", done));
    // The second run picked up the live experiment where the first left it.
    expect(second.output()).toMatch(/"experiment":"checkout\/g1".*"msg":"experiment resumed from checkpoint"/);
  });
});

describe("OFREP and events behind a token", () => {
  it("answer 401 without a bearer token and 403 with a wrong one", async () => {
    const daemon = await startTestDaemon(workspace(), { env: { EVOLVD_OFREP_TOKEN: "app-token" } });
    try {
      const call = (headers: Record<string, string>) =>
        fetch(`${daemon.url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ context: { targetingKey: "u" } }) });
      expect((await call({})).status).toBe(401);
      expect((await call({ authorization: "Bearer nope" })).status).toBe(403);
      expect((await call({ authorization: "Bearer app-token" })).status).toBe(200);
      expect((await fetch(`${daemon.url}/v1/events`, { method: "POST", headers: { "content-type": "application/json" }, body: "[]" })).status).toBe(401);
    } finally {
      await daemon.stop();
    }
  });
});
