import type { ExperimentStatus } from "../../domain/experiment.js";
import type { HistoryEntry } from "../../domain/history.js";
import type { ValueChange, Version, VersionId } from "../../domain/version.js";
import { short, table } from "../format.js";
import { CliError, type CliIo } from "../io.js";

/** Where a running daemon is: --url / EVOLVD_URL, with --token / EVOLVD_ADMIN_TOKEN. */
export interface RemoteOptions {
  readonly url?: string;
  readonly token?: string;
  readonly json?: boolean;
}

export function remoteUrl(options: RemoteOptions, io: CliIo): string | undefined {
  return options.url ?? io.env.EVOLVD_URL;
}

/** `GET /v1/targets`: every loaded target, and the drop files refused. */
export interface TargetsAnswer {
  readonly targets: readonly {
    readonly target: string;
    readonly file: string;
    readonly baseline: VersionId;
    readonly experiment: { readonly id: string; readonly status: ExperimentStatus } | null;
    readonly killed: boolean;
  }[];
  readonly rejectedDrops: readonly { readonly file: string; readonly at: number; readonly problems: readonly string[] }[];
}

/** One arm of the live experiment in `GET /v1/targets/:target`, with its KPIs by name. */
export interface ArmAnswer {
  readonly version: VersionId;
  readonly role: "baseline" | "candidate";
  readonly weight: number;
  readonly pulled: boolean;
  readonly units: number;
  readonly kpis: Readonly<Record<string, { readonly n: number; readonly mean: number }>>;
}

/** `GET /v1/targets/:target`: the fields `evolvd status <target>` prints (the answer has more). */
export interface TargetAnswer {
  readonly target: string;
  readonly file: string;
  readonly killed: boolean;
  readonly baseline: { readonly version: VersionId };
  readonly segmentBaselines?: Readonly<Record<string, { readonly version: VersionId }>>;
  readonly experiment: {
    readonly id: string;
    readonly generation: number;
    readonly status: ExperimentStatus;
    readonly canaryStep: number;
    readonly arms: readonly ArmAnswer[];
  } | null;
  /** Each candidate's primary within each segment (null without segments). */
  readonly segments: readonly SegmentAnswer[] | null;
}

/** One segment's reading of the candidates (decide/segments.ts segmentEvidence). */
export interface SegmentAnswer {
  readonly segment: string;
  readonly alpha: number;
  readonly baselineUnits: number;
  readonly arms: readonly { readonly arm: VersionId; readonly units: number; readonly primary: { readonly kpi: string; readonly verdict: string; readonly effect: number; readonly ci: readonly [number, number] } | null }[];
}

/** `GET /v1/targets/:target/history`: every entry, oldest first. */
export interface HistoryAnswer {
  readonly target: string;
  readonly history: HistoryEntry[];
}

/** `GET /v1/targets/:target/versions`: every version of the target, the baseline marked. */
export interface VersionsAnswer {
  readonly baseline: VersionId | null;
  readonly versions: (Version & { readonly baseline: boolean })[];
}

/** `GET /v1/diff?from=…&to=…`: changed paths between two versions, old → new. */
export interface DiffAnswer {
  readonly from: VersionId;
  readonly to: VersionId;
  readonly changes: ValueChange[];
}

/** `POST /v1/targets/:target/rollback`: the new baseline. */
export interface RollbackAnswer {
  readonly target: string;
  readonly baseline: VersionId;
}

/** `POST /v1/targets/:target/pause` and `…/resume`. */
export interface ControlAnswer {
  readonly target: string;
  readonly killed: boolean;
  readonly experiment: { readonly id: string; readonly status: string; readonly paused: readonly string[] } | null;
}

/** `POST /v1/targets/:target/kill`. */
export interface KillAnswer {
  readonly target: string;
  readonly killed: true;
}

/** The answer of the admin route a path names, as the CLI calls them; unknown for any other path. */
export type AnswerOf<P extends string> = P extends "/v1/targets"
  ? TargetsAnswer
  : P extends `/v1/targets/${string}/history`
    ? HistoryAnswer
    : P extends `/v1/targets/${string}/versions`
    ? VersionsAnswer
    : P extends `/v1/targets/${string}/rollback`
      ? RollbackAnswer
      : P extends `/v1/targets/${string}/kill`
        ? KillAnswer
        : P extends `/v1/diff?${string}`
          ? DiffAnswer
          : P extends `/v1/targets/${string}`
            ? TargetAnswer
            : unknown;

/** The body of an admin API error (`{error, message}`), or of an OFREP one (`errorDetails`). */
interface ProblemAnswer {
  readonly error?: string;
  readonly message?: string;
  readonly errorDetails?: string;
}

/** One admin API call; an HTTP error becomes a CliError with the daemon's message. */
export async function callDaemon<P extends string>(options: RemoteOptions, io: CliIo, path: P, init: { method?: string; body?: unknown } = {}): Promise<AnswerOf<P>> {
  const base = remoteUrl(options, io) ?? "http://127.0.0.1:8787";
  const token = options.token ?? io.env.EVOLVD_ADMIN_TOKEN;
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method: init.method ?? "GET",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch (error) {
    throw new CliError(`cannot reach the daemon at ${base}: ${(error as Error).message}`);
  }
  const body: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const problem = body as ProblemAnswer;
    throw new CliError(`${base}${path}: ${response.status} ${problem.message ?? problem.errorDetails ?? ""}`.trim());
  }
  return body as AnswerOf<P>;
}

/** `evolvd status [target]`: what a running daemon is doing. */
export async function statusCommand(target: string | undefined, options: RemoteOptions, io: CliIo): Promise<void> {
  if (target) statusOfTarget(await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}`), options, io);
  else statusOfAll(await callDaemon(options, io, "/v1/targets"), options, io);
}

/** `evolvd status`: every target, one line each, then the refused drop files. */
function statusOfAll(body: TargetsAnswer, options: RemoteOptions, io: CliIo): void {
  if (options.json) {
    io.stdout.write(JSON.stringify(body, null, 2) + "\n");
    return;
  }
  io.stdout.write(
    table(
      body.targets.map((t) => [t.target, short(t.baseline), t.experiment ? `${t.experiment.id} ${t.experiment.status}` : "-", t.killed ? "killed" : ""]),
      ["target", "baseline", "experiment", "kill switch"],
    ),
  );
  for (const drop of body.rejectedDrops) io.stdout.write(`\nrefused ${drop.file}:\n  ${drop.problems.join("\n  ")}\n`);
}

/** `evolvd status <target>`: its baseline and its live experiment, arm by arm. */
function statusOfTarget(body: TargetAnswer, options: RemoteOptions, io: CliIo): void {
  if (options.json) {
    io.stdout.write(JSON.stringify(body, null, 2) + "\n");
    return;
  }
  io.stdout.write(`${body.target}: baseline ${short(body.baseline.version)}${body.killed ? " (kill switch on)" : ""}\n`);
  for (const [segment, own] of Object.entries(body.segmentBaselines ?? {})) io.stdout.write(`  segment ${segment} serves its own baseline ${short(own.version)}\n`);
  const e = body.experiment;
  if (!e) {
    io.stdout.write("no live experiment\n");
    return;
  }
  io.stdout.write(`experiment ${e.id}: ${e.status}${e.status === "canary" ? ` step ${e.canaryStep + 1}` : ""}\n`);
  const kpis = Object.keys(e.arms[0]?.kpis ?? {});
  io.stdout.write(
    table(
      e.arms.map((a) => [short(a.version), a.role + (a.pulled ? " (pulled)" : ""), `${(a.weight * 100).toFixed(1)}%`, String(a.units), ...kpis.map((k) => (a.kpis[k] ? `${a.kpis[k].mean.toPrecision(4)} (n ${a.kpis[k].n})` : "-"))]),
      ["arm", "role", "weight", "units", ...kpis],
    ),
  );
  if (!body.segments?.length) return;
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
  io.stdout.write(`by segment (each at alpha ${body.segments[0]?.alpha.toPrecision(2)}):\n`);
  io.stdout.write(
    table(
      body.segments.flatMap((s) => s.arms.map((a) => [s.segment, String(s.baselineUnits), short(a.arm), String(a.units), a.primary ? `${pct(a.primary.effect)} [${pct(a.primary.ci[0])}, ${pct(a.primary.ci[1])}] ${a.primary.verdict}` : "-"])),
      ["segment", "baseline units", "arm", "units", "primary vs baseline"],
    ),
  );
}

/** `evolvd pause <target>` and `evolvd resume <target>`: what the daemon says the call left. */
export async function pauseCommand(action: "pause" | "resume", target: string, options: RemoteOptions & { reason?: string }, io: CliIo): Promise<void> {
  const body = (await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}/${action}`, { method: "POST", body: { reason: options.reason ?? `evolvd ${action}` } })) as ControlAnswer;
  const e = body.experiment;
  const state = body.killed ? "kill switch on" : e ? `experiment ${e.id} ${e.status}${e.paused.length ? ` (paused by ${e.paused.join(" and ")})` : ""}` : "no live experiment";
  io.stdout.write(`${target}: ${state}\n`);
}

/** `evolvd kill <target>`: the kill switch of a running daemon. */
export async function killCommand(target: string, options: RemoteOptions & { reason?: string }, io: CliIo): Promise<void> {
  await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}/kill`, { method: "POST", body: { reason: options.reason ?? "evolvd kill" } });
  io.stdout.write(`${target}: kill switch on; the live experiment, if any, was killed\n`);
}
