import { resolve } from "node:path";
import { currentBaseline, findVersionRef, segmentBaselinesOf, versionsOf, type HistoryEntry } from "../../domain/history.js";
import { isTargetName } from "../../domain/names.js";
import { diffValues } from "../../domain/values.js";
import type { Version } from "../../domain/version.js";
import type { Clock } from "../../domain/clock.js";
import { FileStore } from "../../store/file-store.js";
import type { HistoryStore } from "../../domain/ports.js";
import { isoTime, short, table } from "../format.js";
import { CliError, type CliIo } from "../io.js";
import { callDaemon, remoteUrl, type RemoteOptions } from "./remote.js";

/** The data folder: --data-dir, else EVOLVD_DATA_DIR, else ./.evolvd */
export function storeFor(dataDir: string | undefined, io: CliIo): HistoryStore {
  return new FileStore(resolve(io.cwd, dataDir ?? io.env.EVOLVD_DATA_DIR ?? ".evolvd"));
}

export async function historyOf(store: HistoryStore, target: string): Promise<HistoryEntry[]> {
  if (!isTargetName(target)) throw new CliError(`invalid target name ${JSON.stringify(target)}`, 2);
  const history = await store.read(target);
  if (history.length === 0) throw new CliError(`no history for target "${target}" (known: ${(await store.targets()).join(", ") || "none"})`);
  return history;
}

/** `evolvd history <target>`: every version, transition and baseline move, oldest first. */
export async function historyCommand(target: string, options: { dataDir?: string; json?: boolean } & RemoteOptions, io: CliIo): Promise<void> {
  // From a daemon, the same entries as from a data folder: versions, transitions, baseline moves.
  const history = remoteUrl(options, io) ? (await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}/history`)).history : await historyOf(storeFor(options.dataDir, io), target);
  if (options.json) {
    io.stdout.write(JSON.stringify(history, null, 2) + "\n");
    return;
  }
  const baseline = currentBaseline(history);
  const rows = history.map((e) => {
    switch (e.kind) {
      case "version":
        return [isoTime(e.at), "version", short(e.version.id), `g${e.version.generation} from ${e.version.parent ? short(e.version.parent) : "file"}: ${e.version.mutations.map((m) => `${m.op} ${m.path} ${JSON.stringify(m.from)}→${JSON.stringify(m.to)}`).join(", ") || "baseline values"}`];
      case "transition":
        return [isoTime(e.at), "experiment", e.experiment, `${e.from} → ${e.to}: ${e.reason}`];
      case "arm_exit":
        return [isoTime(e.at), e.exit === "pulled" ? "pulled" : "rejected", short(e.version), e.reason];
      case "baseline":
        return [isoTime(e.at), e.segment === undefined ? "baseline" : `baseline:${e.segment}`, short(e.version), `${e.cause}${e.previous ? ` (was ${short(e.previous)})` : ""}: ${e.reason}`];
      case "draft":
        return [isoTime(e.at), "draft", short(e.version), `operator's candidate: ${e.note}`];
      case "side_effects":
        return [isoTime(e.at), "effects", short(e.version), Object.entries(e.counts).map(([k, n]) => `${k} ×${n}`).join(", ")];
    }
  });
  io.stdout.write(table(rows, ["time", "entry", "id", "detail"]));
  io.stdout.write(`\ncurrent baseline of ${target}: ${baseline}\n`);
  for (const [segment, id] of segmentBaselinesOf(history)) io.stdout.write(`  segment ${segment} serves its own: ${id}\n`);
}

/** Finds a version by full id or unique prefix (≥ 6 hex digits) across the store's targets. */
async function findIn(store: HistoryStore, idOrPrefix: string, target?: string): Promise<Version> {
  const targets = target ? [target] : await store.targets();
  const versions: Version[] = [];
  for (const t of targets) versions.push(...versionsOf(await store.read(t)).values());
  // `baseline` and `baseline:<segment>` name what one target serves now.
  const found = findVersionRef(versions, idOrPrefix, target ? await store.read(target) : null);
  if (!found.ok) throw new CliError(found.error.code === "unknown_version" ? `${found.error.message} in ${target ? `target "${target}"` : "any target"}` : found.error.message, found.error.code === "invalid_version" ? 2 : 1);
  return found.value;
}

/** `evolvd diff <versionA> <versionB>`: changed paths, old → new. */
export async function diffCommand(a: string, b: string, options: { dataDir?: string; target?: string; json?: boolean } & RemoteOptions, io: CliIo): Promise<void> {
  let from: { id: string };
  let to: { id: string };
  let changes: ReturnType<typeof diffValues>;
  if (remoteUrl(options, io)) {
    const body = await callDaemon(options, io, `/v1/diff?from=${encodeURIComponent(a)}&to=${encodeURIComponent(b)}${options.target ? `&target=${encodeURIComponent(options.target)}` : ""}`);
    [from, to, changes] = [{ id: body.from }, { id: body.to }, body.changes];
  } else {
    const store = storeFor(options.dataDir, io);
    const va = await findIn(store, a, options.target);
    const vb = await findIn(store, b, options.target);
    [from, to, changes] = [va, vb, diffValues(va.values, vb.values)];
  }
  if (options.json) {
    io.stdout.write(JSON.stringify({ from: from.id, to: to.id, changes }, null, 2) + "\n");
    return;
  }
  io.stdout.write(`${short(from.id)} → ${short(to.id)}: ${changes.length} changed\n`);
  for (const c of changes) io.stdout.write(`  ${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}\n`);
}

/**
 * `evolvd rollback <target> <version>`: any earlier version becomes the baseline, recorded as
 * its own history entry (nothing is deleted).
 */
export async function rollbackCommand(target: string, version: string, options: { dataDir?: string; reason?: string; segment?: string } & RemoteOptions, io: CliIo, clock: Clock): Promise<void> {
  const { segment } = options;
  const of = segment === undefined ? target : `segment ${segment} of ${target}`;
  if (remoteUrl(options, io)) {
    const body = await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}/rollback`, { method: "POST", body: { version, reason: options.reason ?? "operator rollback from the command line", ...(segment === undefined ? {} : { segment }) } });
    io.stdout.write(`baseline of ${of} → ${short(body.baseline)} (the live experiment, if any, was killed)\n`);
    return;
  }
  const store = storeFor(options.dataDir, io);
  const history = await historyOf(store, target);
  const chosen = await findIn(store, version, target);
  // Without a daemon the segment is not checked against the target file: a daemon that starts on
  // this history serves it only for a segment its file names (lifecycle/restore.ts).
  const own = segmentBaselinesOf(history);
  const previous = (segment === undefined ? undefined : own.get(segment)) ?? currentBaseline(history);
  if (previous === chosen.id && (segment !== undefined || own.size === 0)) throw new CliError(`${short(chosen.id)} is already the baseline of ${of}`);
  await store.append(target, [
    { kind: "baseline", at: clock.now(), version: chosen.id, previous, cause: "rollback", reason: options.reason ?? "operator rollback from the command line", ...(segment === undefined ? {} : { segment }) },
  ]);
  io.stdout.write(`baseline of ${of}: ${previous ? short(previous) : "none"} → ${short(chosen.id)}\n`);
}
