import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Clock } from "../../domain/clock.js";
import { seededRng } from "../../random/seeded-rng.js";
import { Responder } from "../../sim/response-model.js";
import type { Scenario } from "../../sim/scenario.js";
import { arrivals } from "../../sim/traffic.js";

/** The package's folder (dist/cli/commands or src/cli/commands, three levels down). */
const ROOT = resolve(import.meta.dirname, "..", "..", "..");
/** The shipped scenario the demo plays: checkout-better-region with effects strong enough to commit in minutes. */
export const DEMO_SCENARIO = join(ROOT, "simulations", "checkout-demo.json");

/**
 * A fresh workspace for `evolvd start --demo`: the shipped checkout target with a policy that
 * decides in minutes rather than hours (ticks every 5 s, small budgets, twelve candidates
 * screened per generation so that the two that go live are worth watching), screened on the
 * shipped scenario; the drop folder and data folder live in a new temporary folder.
 */
export function demoWorkspace(): { dir: string; dropDir: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "evolvd-demo-"));
  cpSync(join(ROOT, "configs"), join(dir, "configs"), { recursive: true });
  cpSync(join(ROOT, "simulations"), join(dir, "simulations"), { recursive: true });
  const file = join(dir, "configs", "checkout.json");
  const target = JSON.parse(readFileSync(file, "utf8"));
  target.policy = { ...target.policy, candidatesPerGeneration: 12, analysisEveryMs: 5_000, minUnitsPerArm: 1_500, maxUnitsPerArm: 20_000, sequentialTuning: 8_000, canary: { steps: [0.2, 0.5], minUnitsPerStep: 300 }, screening: { scenario: "../simulations/checkout-demo.json", unitsPerArm: 4_000 } };
  writeFileSync(file, JSON.stringify(target, null, 2));
  return { dir, dropDir: join(dir, "configs"), dataDir: join(dir, "data") };
}

export interface DemoTraffic {
  readonly url: string;
  readonly scenario: Scenario;
  /** Visits per second of wall time. */
  readonly rate: number;
  /** The bearer token OFREP and events ask for, when the daemon has one. */
  readonly ofrepToken?: string;
  readonly clock: Clock;
  /** Waits `ms` (a timer: this is the real-time side). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly stop: () => boolean;
  /** Told every `every` visits how many were sent and how many outcomes the daemon took. */
  readonly onProgress?: (sent: number, accepted: number) => void;
  readonly every?: number;
}

/**
 * Plays a scenario's simulated users against a running daemon in real time, as applications
 * would: each visit evaluates the target over OFREP with the unit's attributes, the scenario's
 * response model says what the served configuration made the user do, and the outcomes go to
 * `/v1/events` in batches. Ten slices a second; returns the visits sent once `stop()` holds.
 */
export async function playTraffic(input: DemoTraffic): Promise<{ visits: number; accepted: number }> {
  const { url, scenario, rate, clock } = input;
  const headers = { "content-type": "application/json", ...(input.ofrepToken ? { authorization: `Bearer ${input.ofrepToken}` } : {}) };
  if (!scenario.model) throw new Error(`scenario "${scenario.name}" is a replay: it has no model to play`);
  const target = JSON.parse(readFileSync(scenario.targetFile, "utf8")).target as string;
  const responder = new Responder(scenario.model);
  const rng = seededRng(scenario.seed).fork("demo");
  const visits = arrivals({ ...scenario.traffic, start: 0, rng: rng.fork("traffic"), prefix: "demo-" });
  const outcomeRng = rng.fork("outcomes");
  let sent = 0;
  let accepted = 0;
  let reported = 0;
  const began = clock.now();
  while (!input.stop()) {
    const due = Math.floor(((clock.now() - began) / 1000) * rate) - sent;
    const batch = Array.from({ length: Math.max(0, Math.min(due, rate)) }, () => visits.next().value as { unit: string; segment: { name: string; attributes: Readonly<Record<string, string>> } });
    const served = await Promise.all(batch.map((visit) => evaluate(url, headers, target, visit.unit, visit.segment.attributes)));
    const events = batch.flatMap((visit, i) => {
      const answer = served[i];
      if (!answer) return [];
      const metrics = responder.respond(answer.version, answer.values, visit.segment.name, outcomeRng, visit.unit);
      return [{ type: "outcome", target, unit: visit.unit, ts: clock.now(), arm: answer.version, metrics }];
    });
    if (events.length > 0) accepted += await post(`${url}/v1/events`, headers, events);
    sent += batch.length;
    if (input.onProgress && sent - reported >= (input.every ?? rate * 10)) {
      reported = sent;
      input.onProgress(sent, accepted);
    }
    await input.sleep(100);
  }
  return { visits: sent, accepted };
}

/** One OFREP evaluation of the whole target; null when the daemon did not answer with a value. */
async function evaluate(url: string, headers: Record<string, string>, target: string, unit: string, attributes: Readonly<Record<string, string>>): Promise<{ version: string; values: Record<string, never> } | null> {
  try {
    const response = await fetch(`${url}/ofrep/v1/evaluate/flags/${target}`, { method: "POST", headers, body: JSON.stringify({ context: { targetingKey: unit, ...attributes } }) });
    if (!response.ok) return null;
    const body = (await response.json()) as { value: Record<string, never>; metadata: { version: string } };
    return { version: body.metadata.version, values: body.value };
  } catch {
    return null; // the daemon is stopping: the loop ends with stop()
  }
}

async function post(url: string, headers: Record<string, string>, events: readonly unknown[]): Promise<number> {
  try {
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(events) });
    return response.ok ? ((await response.json()) as { accepted: number }).accepted : 0;
  } catch {
    return 0;
  }
}
