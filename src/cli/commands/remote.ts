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

/** One admin API call; an HTTP error becomes a CliError with the daemon's message. */
export async function callDaemon(options: RemoteOptions, io: CliIo, path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
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
  const body = (await response.json().catch(() => ({}))) as any;
  if (!response.ok) throw new CliError(`${base}${path}: ${response.status} ${body.message ?? body.errorDetails ?? ""}`.trim());
  return body;
}

/** `evolvd status [target]`: what a running daemon is doing. */
export async function statusCommand(target: string | undefined, options: RemoteOptions, io: CliIo): Promise<void> {
  const body = await callDaemon(options, io, target ? `/v1/targets/${encodeURIComponent(target)}` : "/v1/targets");
  if (options.json) {
    io.stdout.write(JSON.stringify(body, null, 2) + "\n");
    return;
  }
  if (!target) {
    io.stdout.write(
      table(
        body.targets.map((t: any) => [t.target, short(t.baseline), t.experiment ? `${t.experiment.id} ${t.experiment.status}` : "-", t.killed ? "killed" : ""]),
        ["target", "baseline", "experiment", "kill switch"],
      ),
    );
    for (const drop of body.rejectedDrops) io.stdout.write(`\nrefused ${drop.file}:\n  ${drop.problems.join("\n  ")}\n`);
    return;
  }
  io.stdout.write(`${body.target}: baseline ${short(body.baseline.version)}${body.killed ? " (kill switch on)" : ""}\n`);
  const e = body.experiment;
  if (!e) {
    io.stdout.write("no live experiment\n");
    return;
  }
  io.stdout.write(`experiment ${e.id}: ${e.status}${e.status === "canary" ? ` step ${e.canaryStep + 1}` : ""}\n`);
  const kpis = Object.keys(e.arms[0]?.kpis ?? {});
  io.stdout.write(
    table(
      e.arms.map((a: any) => [short(a.version), a.role + (a.pulled ? " (pulled)" : ""), `${(a.weight * 100).toFixed(1)}%`, String(a.units), ...kpis.map((k) => (a.kpis[k] ? `${a.kpis[k].mean.toPrecision(4)} (n ${a.kpis[k].n})` : "-"))]),
      ["arm", "role", "weight", "units", ...kpis],
    ),
  );
}

/** `evolvd kill <target>`: the kill switch of a running daemon. */
export async function killCommand(target: string, options: RemoteOptions & { reason?: string }, io: CliIo): Promise<void> {
  await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}/kill`, { method: "POST", body: { reason: options.reason ?? "evolvd kill" } });
  io.stdout.write(`${target}: kill switch on; the live experiment, if any, was killed\n`);
}
