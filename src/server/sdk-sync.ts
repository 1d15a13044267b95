import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { clientTargetsOf } from "./client-keys.js";
import { interval, map, share, type SchedulerLike } from "rxjs";
import { sha256 } from "../config/canonical.js";
import type { ExperimentRouter } from "../stream/router.js";
import { servingFingerprint, servingStates, type StageBindings } from "../stream/serving-state.js";
import { SdkQuery } from "./route-schemas.js";

export interface SdkSyncDeps {
  readonly router: ExperimentRouter;
  /** How often open streams look for a change (ms; default 50): the bound on a kill reaching SDKs, plus the network. */
  readonly sdkStreamMs?: number;
  readonly scheduler?: SchedulerLike;
  /** A target's stage settings (docs/stages.md), when it has any. */
  readonly stageBindings?: (target: string) => StageBindings | undefined;
}

/** The targets a query names (comma-separated), or undefined for all. */
const targetsOf = (query: SdkQuery): string[] | undefined => (query.targets ? query.targets.split(",").filter((t) => t !== "") : undefined);

/**
 * The targets a request syncs: those its query names (all when none), narrowed for a client
 * key to its own — naming another is refused (the answer says which).
 */
function syncedTargets(request: FastifyRequest<{ Querystring: SdkQuery }>): { targets: string[] | undefined } | { forbidden: string } {
  const named = targetsOf(request.query);
  const allowed = clientTargetsOf(request);
  if (allowed === null) return { targets: named };
  const outside = named?.find((t) => !allowed.has(t));
  return outside !== undefined ? { forbidden: outside } : { targets: named ?? [...allowed].sort() };
}
const forbid = (reply: FastifyReply, target: string) => reply.code(403).send({ errorCode: "FORBIDDEN", errorDetails: `this client key may not sync target "${target}"` });

/** The state document of `targets` and its entity tag (the SHA-256 of the document). */
function documentOf(deps: SdkSyncDeps, targets: readonly string[] | undefined): { body: string; etag: string } {
  const body = JSON.stringify({ targets: servingStates(deps.router, targets, deps.stageBindings) });
  return { body, etag: `"${sha256(body).slice(0, 32)}"` };
}

/**
 * The SDK's sync (docs/sdk.md), beside OFREP and events under the same token:
 * - `GET /v1/sdk/state?targets=a,b` — the serving state of those targets (all when absent), with an
 *   ETag; `If-None-Match` with the same tag answers 304.
 * - `GET /v1/sdk/stream?targets=a,b` — server-sent events: `event: state` with the same document at
 *   once and whenever what those targets serve changes (a baseline, a segment's baseline, an
 *   experiment starting or ending, a reallocation or a pull, a kill or a pause); a comment every
 *   15 s keeps proxies from closing it. One shared check every `sdkStreamMs` for all streams.
 */
export function registerSdkSync(app: FastifyInstance, deps: SdkSyncDeps): void {
  const { router } = deps;
  app.get<{ Querystring: SdkQuery }>("/v1/sdk/state", { schema: { querystring: SdkQuery } }, async (request, reply) => {
    const synced = syncedTargets(request);
    if ("forbidden" in synced) return forbid(reply, synced.forbidden);
    const doc = documentOf(deps, synced.targets);
    reply.header("ETag", doc.etag).header("Cache-Control", "no-cache");
    if (request.headers["if-none-match"] === doc.etag) return reply.code(304).send();
    return reply.code(200).type("application/json").send(doc.body);
  });

  const periodMs = deps.sdkStreamMs ?? 50;
  // The whole router's fingerprint once a period, shared by every open stream (none while none is open).
  const fingerprints = interval(periodMs, deps.scheduler).pipe(
    map(() => servingFingerprint(router)),
    share(),
  );
  const open = new Set<{ end: () => void }>();
  app.addHook("preClose", (done) => {
    for (const stream of open) stream.end();
    done();
  });
  app.get<{ Querystring: SdkQuery }>("/v1/sdk/stream", { schema: { querystring: SdkQuery } }, (request, reply) => {
    const synced = syncedTargets(request);
    if ("forbidden" in synced) return forbid(reply, synced.forbidden);
    const targets = synced.targets;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    let seen = "";
    let etag = "";
    /** Sends the document when what these targets serve changed; whether it sent one. */
    const push = (): boolean => {
      const mine = servingFingerprint(router, targets);
      if (mine === seen) return false;
      seen = mine;
      const doc = documentOf(deps, targets);
      if (doc.etag === etag) return false;
      etag = doc.etag;
      raw.write(`event: state\nid: ${doc.etag}\ndata: ${doc.body}\n\n`);
      return true;
    };
    push();
    let whole = "";
    let quiet = 0;
    const subscription = fingerprints.subscribe((f) => {
      // Only when something anywhere changed is this stream's own fingerprint worth reading.
      const sent = f !== whole && push();
      whole = f;
      if (sent) quiet = 0;
      else if ((quiet += periodMs) >= 15_000) {
        quiet = 0;
        raw.write(": keep-alive\n\n");
      }
    });
    const stream = {
      end: () => {
        subscription.unsubscribe();
        open.delete(stream);
        raw.end();
      },
    };
    open.add(stream);
    request.raw.on("close", stream.end);
  });
}
