import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Target } from "../domain/target.js";

/** Constant-time comparison (of digests, so lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The routes a client key opens: syncing and sending events, nothing else. */
const CLIENT_ROUTES = new Set(["GET /v1/sdk/state", "GET /v1/sdk/stream", "POST /v1/events"]);

/** The targets the client key of each request may reach (absent: not a client-key request). */
const clientTargets = new WeakMap<FastifyRequest, ReadonlySet<string>>();

/** The targets a request authenticated by a client key may reach, or null for a server token (or none needed). */
export function clientTargetsOf(request: FastifyRequest): ReadonlySet<string> | null {
  return clientTargets.get(request) ?? null;
}

/** The targets whose files list `key` among their clientKeys (empty: not a client key). */
export function targetsOfKey(targets: readonly Target[], key: string): Set<string> {
  const out = new Set<string>();
  for (const t of targets) for (const k of t.clientKeys ?? []) if (sameSecret(key, k)) out.add(t.name);
  return out;
}

/**
 * The check of the application API (OFREP, events, SDK sync): the server token opens all of it
 * (none needed when it is empty); a target's client key (docs/sdk.md) opens only syncing and
 * events, for its own targets — the routes narrow further by clientTargetsOf.
 */
export function applicationAuth(token: string, targets: () => readonly Target[]): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    const header = request.headers.authorization;
    const given = header?.startsWith("Bearer ") ? header.slice(7) : null;
    if (given !== null && token !== "" && sameSecret(given, token)) return done();
    const keyed = given === null ? new Set<string>() : targetsOfKey(targets(), given);
    if (keyed.size > 0) {
      if (!CLIENT_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ""}`)) {
        void reply.code(403).send({ errorCode: "FORBIDDEN", errorDetails: "a client key may only sync its targets (GET /v1/sdk/state, /v1/sdk/stream) and send their events" });
        return;
      }
      clientTargets.set(request, keyed);
      return done();
    }
    if (token === "") return done();
    if (given === null) {
      void reply.code(401).header("WWW-Authenticate", "Bearer").send({ errorCode: "UNAUTHORIZED", errorDetails: "a bearer token is required" });
      return;
    }
    void reply.code(403).send({ errorCode: "FORBIDDEN", errorDetails: "the bearer token is not valid" });
  };
}

const CORS_PATHS = /^\/(v1\/sdk\/|v1\/events(\?|$)|sdk\/)/;

/**
 * Cross-origin calls from browsers to the SDK's routes, events and the SDK file: the origins
 * in `origins` ("*": any) get Access-Control-Allow-Origin, and preflights are answered. Requests
 * carry a bearer header, never cookies, so no credentials are allowed.
 */
export function registerCors(app: FastifyInstance, origins: string): void {
  const list = origins.split(",").map((o) => o.trim()).filter((o) => o !== "");
  if (list.length === 0) return;
  const any = list.includes("*");
  const allowed = (origin: string | undefined): string | null => (origin === undefined ? null : any ? "*" : list.includes(origin) ? origin : null);
  app.addHook("onRequest", (request, reply, done) => {
    const origin = allowed(request.headers.origin);
    if (origin !== null && CORS_PATHS.test(request.url)) {
      reply.header("Access-Control-Allow-Origin", origin).header("Access-Control-Expose-Headers", "ETag");
      if (!any) reply.header("Vary", "Origin");
    }
    done();
  });
  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    if (allowed(request.headers.origin) === null) return reply.code(403).send({ errorCode: "FORBIDDEN", errorDetails: "this origin may not call evolvd (settings: corsOrigins)" });
    return reply
      .code(204)
      .header("Access-Control-Allow-Methods", "GET, POST")
      .header("Access-Control-Allow-Headers", "authorization, content-type, if-none-match, accept")
      .header("Access-Control-Max-Age", "600")
      .send();
  };
  for (const path of ["/v1/sdk/*", "/v1/events", "/sdk/*"]) app.options(path, preflight);
}
