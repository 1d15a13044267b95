import type { Clock } from "../domain/clock.js";
import { exposureAttributes } from "../stream/parse-event.js";
import type { ServingState } from "../stream/serving-state.js";
import { systemClock } from "../system-clock.js";
import type { EvaluationContext } from "../targeting/audience.js";
import { FINGERPRINT } from "../assign/hash.js";
import { EventBuffer, type BufferCounts } from "./event-buffer.js";
import { UnitMemory } from "./unit-memory.js";
import { applyStates, type LocalTarget, type Evaluation } from "./local-target.js";
import { serverSentEvents } from "./sse.js";
import { runStage, type StageRun } from "./interceptor.js";
import { RegistryReporter } from "./registry-report.js";
import { StageSet, type RegisteredStage, type StageImplementation, type StageOptions } from "./stages.js";
import type { SideEffect } from "../domain/event.js";
import { ComponentManager } from "./components/manager.js";
import { ComponentRegistry } from "./components/registry.js";

export interface ClientOptions {
  /** The daemon's base URL (http://127.0.0.1:8787). */
  readonly url: string;
  /** The OFREP/events bearer token, when the daemon asks for one (a server's secret). */
  readonly token?: string;
  /**
   * A target's public client key (its file's clientKeys), for browsers: it only syncs and sends
   * events for its targets (docs/sdk.md). Stage registries are not reported with it.
   */
  readonly clientKey?: string;
  /** Targets to sync (all the daemon serves when absent). */
  readonly targets?: readonly string[];
  /** How long the last known state is served once the daemon is unreachable (default 60 s); then baselines only. */
  readonly maxStaleMs?: number;
  /** How often exposures and outcomes are sent (default 1 s). */
  readonly flushMs?: number;
  /** Most events held while the daemon does not take them (default 10,000; the oldest are dropped, counted). */
  readonly maxBufferedEvents?: number;
  /** How often the stage registry is reported to the daemon (default 15 s; also at once on every register). */
  readonly reportMs?: number;
  /** Deadline of one stage run (default 5 s): a run past it counts as the version's failure. */
  readonly stageTimeoutMs?: number;
  /** This client's id in registry reports (default: a random UUID). */
  readonly instanceId?: string;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  /** Told of sync and send failures (the client keeps going). */
  readonly onError?: (error: Error) => void;
}

export interface SdkStats {
  readonly events: BufferCounts;
  /** Epoch ms of the last word from the daemon (a state, a keep-alive, a 304), or null. */
  readonly lastContactAt: number | null;
  readonly states: number;
  readonly stale: boolean;
  /** Units assigned a stage version this SDK has not registered (they ran the baseline's). */
  readonly stageMissing: number;
}

/**
 * The evolvd SDK: syncs the serving state of its targets from the daemon (a server-sent event
 * stream, with a conditional GET as the fallback) and evaluates in process with the router's own
 * rules (sdk/local-target.ts), synchronously; exposures and outcomes go to /v1/events in batches.
 */
export class EvolvdClient {
  private readonly targets = new Map<string, LocalTarget>();
  private readonly clock: Clock;
  private readonly fetcher: typeof fetch;
  private readonly buffer: EventBuffer;
  private lastContact: number | null = null;
  /** Whether the daemon has been silent for maxStaleMs, kept by a timer: no clock read per evaluation. */
  private staleNow = true;
  private readonly now = (): number => this.clock.now();
  private etag = "";
  private states = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readyPromise: Promise<void>;
  /** The pipeline stages this SDK runs (docs/stages.md). */
  readonly stages = new StageSet();
  /** The WebAssembly components this SDK runs, one instance per version in the assignment (docs/components.md). */
  readonly components: ComponentManager;
  private readonly stateListeners = new Set<() => void>();
  private readonly reporter: RegistryReporter;
  /** Whether this client reports its stage registry (not with a client key alone). */
  private readonly reports: boolean;
  private markReady: () => void = () => {};

  constructor(private readonly options: ClientOptions) {
    this.clock = options.clock ?? systemClock;
    // Bound: a browser's fetch called as another object's method throws "Illegal invocation".
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.readyPromise = new Promise((resolve) => (this.markReady = resolve));
    this.buffer = new EventBuffer((lines) => this.post("/v1/events", lines), { maxEvents: options.maxBufferedEvents ?? 10_000, batch: 1000, backoffMs: options.flushMs ?? 1000, maxBackoffMs: 30_000, now: () => this.clock.now() });
    this.timers.push(setInterval(() => void this.buffer.flush(), options.flushMs ?? 1000));
    // Without a word from the stream for a while, a conditional GET tells whether the daemon is there.
    this.timers.push(setInterval(() => void this.checkIn(), Math.max(1000, Math.min(5000, this.maxStaleMs / 3))));
    this.timers.push(setInterval(() => (this.staleNow = this.stale(this.clock.now())), Math.max(50, Math.min(250, this.maxStaleMs / 4))));
    // A client key may not report a registry: a browser does not run server stages (and could not be trusted to say which it has).
    this.reports = options.clientKey === undefined || options.token !== undefined;
    if (this.reports) this.timers.push(setInterval(() => void this.reporter.send(), options.reportMs ?? 15_000));
    for (const t of this.timers) (t as { unref?: () => void }).unref?.();
    const registry = new ComponentRegistry({ fetch: this.fetcher });
    this.components = new ComponentManager(registry, { peek: this.peek, expose: this.exposeAgain, outcome: this.outcome, missing: this.missing, states: () => [...this.targets.values()].map((t) => t.state), now: this.now });
    // Components are reported as stages: a target binds a setting to either the same way.
    const registered = { report: () => [...this.stages.report(), ...registry.report()] };
    this.reporter = new RegistryReporter(options.instanceId ?? globalThis.crypto.randomUUID(), registered, options.targets ?? null, (body) => this.post("/v1/sdk/registry", body, "application/json"), (e) => this.options.onError?.(e));
    this.stages.onChange = () => (this.reports ? this.reporter.queue() : undefined);
    // A component version registered after the state arrived may be in the assignment already.
    registry.onChange = () => {
      this.stages.onChange();
      void this.components.reconcile();
    };
    void this.stream();
  }

  private get maxStaleMs(): number {
    return this.options.maxStaleMs ?? 60_000;
  }

  /** Resolves once a first state has been read (from the stream or the conditional GET); rejects after `timeoutMs` if given. */
  ready(timeoutMs?: number): Promise<void> {
    if (timeoutMs === undefined) return this.readyPromise;
    return Promise.race([
      this.readyPromise,
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`evolvd sdk: no state from ${this.options.url} within ${timeoutMs} ms`)), timeoutMs).unref?.()),
    ]);
  }

  /** The version `unit` gets for `target`, as OFREP would answer it; records the exposure. Never throws. */
  evaluate(target: string, unit: string, context: EvaluationContext = {}): Evaluation {
    const local = this.targets.get(target);
    if (!local) return { value: null, version: "", arm: null, experiment: null, reason: "ERROR" };
    const result = local.evaluate(unit, context, this.now, this.staleNow);
    // In the experiment, evaluate left the unit's fingerprint in FINGERPRINT.
    if (result.experiment !== null) this.expose(target, unit, result, context, local, FINGERPRINT[0] as number, FINGERPRINT[1] as number);
    return result;
  }

  /**
   * Records `unit`'s exposure to `result` (in an experiment), once per unit and arm: the unit's
   * memory (by fingerprint a, b) also gives outcomes their arm. A unit exposed again in the same
   * arm sends nothing.
   */
  private expose(target: string, unit: string, result: Evaluation, context: EvaluationContext, local: LocalTarget, a: number, b: number): boolean {
    let memory = local.memory;
    if (memory === null || memory.experiment !== result.experiment) local.memory = memory = new UnitMemory(result.experiment as string);
    if (!memory.remember(a, b, result.version)) return false;
    const ts = this.clock.now();
    // The version served names the arm, as OFREP's exposures do (a segment's own baseline counts
    // for the baseline arm). Two literals, not a spread: this runs once per new unit.
    if (local.state.experiment?.segmented === true) this.buffer.push({ type: "exposure", target, unit, ts, arm: result.version, attributes: exposureAttributes(context) });
    else this.buffer.push({ type: "exposure", target, unit, ts, arm: result.version });
    return true;
  }

  /**
   * Registers a version of pipeline stage `stage` (docs/stages.md): its version id is the
   * SHA-256 of its code. The SDK reports it to the daemon, which may then propose it for targets
   * whose setting is bound to the stage, once every SDK syncing them reports it.
   */
  register(stage: string, implementation: StageImplementation, options?: StageOptions): RegisteredStage {
    return this.stages.register(stage, implementation, options);
  }

  /**
   * The interceptor: runs stage `stage` for `unit` through the version the unit is assigned,
   * checks input and output against the stage's schemas, falls back to the baseline's version
   * when the assigned one fails, and reports the run (exposure, error outcome, side effects).
   * Rejects with a StageError on a bad input, an unknown target or stage, or when no version can run.
   */
  run(target: string, stage: string, unit: string, input: unknown, context: EvaluationContext = {}): Promise<StageRun> {
    const host = { stages: this.stages, timeoutMs: this.options.stageTimeoutMs ?? 5000, peek: this.peek, expose: this.exposeAgain, outcome: this.outcome, missing: this.missing };
    return runStage(host, target, stage, unit, input, context);
  }

  /** A unit's evaluation without recording it, its segment's baseline values (what a stale SDK serves it), and the target's stage bindings. */
  private readonly peek = (t: string, u: string, c: EvaluationContext) => {
    const local = this.targets.get(t);
    if (!local) return null;
    const result = local.evaluate(u, c, this.now, this.staleNow);
    return { result, baseline: local.evaluate(u, c, this.now, true).value, bindings: local.state.stages };
  };

  /** Records an exposure of an evaluation made by peek; whether it was news. */
  private readonly exposeAgain = (t: string, u: string, result: Evaluation, c: EvaluationContext): boolean => {
    const local = this.targets.get(t);
    return local !== undefined && result.experiment !== null && local.fingerprint(u) && this.expose(t, u, result, c, local, FINGERPRINT[0] as number, FINGERPRINT[1] as number);
  };

  private readonly missing = (t: string, stage: string, version: string): void => this.reporter.missing(t, stage, version);

  private readonly outcome = (target: string, unit: string, arm: string, metrics: Record<string, number>, effects: readonly SideEffect[] = []): void => {
    this.buffer.push({ type: "outcome", target, unit, ts: this.clock.now(), arm, metrics, ...(effects.length > 0 ? { effects: effects.slice(0, 16) } : {}) });
  };

  /** An outcome of `unit`, attributed to the arm it was last evaluated in (none: not counted unless the daemon knows its arm). */
  track(target: string, unit: string, metrics: Readonly<Record<string, number>>): void {
    const local = this.targets.get(target);
    const arm = local?.memory && local.fingerprint(unit) ? local.memory.versionOf(FINGERPRINT[0] as number, FINGERPRINT[1] as number) : undefined;
    this.buffer.push({ type: "outcome", target, unit, ts: this.clock.now(), ...(arm ? { arm } : {}), metrics });
  }

  /** Told after every state the daemon sends (a reallocation, a commit, a kill…); returns the unsubscribe. */
  onStateChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** The serving state of `target` as last synced (its baseline, experiment and bindings). */
  serving(target: string): ServingState | undefined {
    return this.targets.get(target)?.state;
  }

  /** An outcome `metrics` of `unit` in the arm `arm` (an Evaluation's version), as the interceptors report them. */
  report(target: string, unit: string, arm: string, metrics: Record<string, number>): void {
    this.outcome(target, unit, arm, metrics);
  }

  /** Sends what is buffered now. */
  flush(): Promise<void> {
    return this.buffer.flush(true);
  }

  get stats(): SdkStats {
    return { events: this.buffer.stats, lastContactAt: this.lastContact, states: this.states, stale: this.stale(this.clock.now()), stageMissing: this.reporter.missingTotal };
  }

  /** Stops syncing and sends what is buffered (one try). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.abort.abort();
    await Promise.all([this.buffer.flush(true).catch(() => {}), this.reports ? this.reporter.send(true) : undefined]);
  }

  private stale(now: number): boolean {
    return this.lastContact === null || now - this.lastContact > this.maxStaleMs;
  }

  private query(): string {
    return this.options.targets ? `?targets=${this.options.targets.map(encodeURIComponent).join(",")}` : "";
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const credential = this.options.token ?? this.options.clientKey;
    return { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...extra };
  }

  /** Applies a state document; a target it cannot evaluate exactly keeps its last state (reported). */
  private apply(text: string, etag: string): void {
    for (const problem of applyStates(this.targets, (JSON.parse(text) as { targets: ServingState[] }).targets)) this.options.onError?.(new Error(`evolvd sdk: ${problem}`));
    this.etag = etag;
    this.states++;
    void this.components.reconcile();
    for (const listener of this.stateListeners) {
      try { listener(); } catch (error) { this.options.onError?.(error as Error); }
    }
    this.lastContact = this.clock.now();
    this.staleNow = false;
    this.markReady();
  }

  /** The push channel, reconnected with backoff while the client is open. */
  private async stream(): Promise<void> {
    let wait = 250;
    while (!this.closed) {
      try {
        const response = await this.fetcher(`${this.options.url}/v1/sdk/stream${this.query()}`, { headers: this.headers({ accept: "text/event-stream" }), signal: this.abort.signal });
        if (!response.ok || !response.body) throw new Error(`sync stream: HTTP ${response.status}`);
        wait = 250;
        for await (const e of serverSentEvents(response.body, () => (this.lastContact = this.clock.now()))) if (e.event === "state") this.apply(e.data, e.id);
      } catch (error) {
        if (this.closed) return;
        this.options.onError?.(error as Error);
      }
      await this.checkIn();
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(5000, wait * 2);
    }
  }

  /** A conditional GET of the state: a 304 is a word from the daemon too. */
  private async checkIn(): Promise<void> {
    if (this.closed || (this.lastContact !== null && this.clock.now() - this.lastContact < 1000)) return;
    try {
      const response = await this.fetcher(`${this.options.url}/v1/sdk/state${this.query()}`, { headers: this.headers(this.etag ? { "if-none-match": this.etag } : {}), signal: this.abort.signal });
      if (response.status === 304) this.lastContact = this.clock.now();
      else if (response.ok) this.apply(await response.text(), response.headers.get("etag") ?? "");
      else throw new Error(`sync: HTTP ${response.status}`);
    } catch (error) {
      if (!this.closed) this.options.onError?.(error as Error);
    }
  }

  private async post(path: string, body: string, type = "application/x-ndjson"): Promise<void> {
    const response = await this.fetcher(`${this.options.url}${path}`, { method: "POST", headers: this.headers({ "content-type": type }), body });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${(await response.text().catch(() => "")).slice(0, 300)}`);
  }
}
