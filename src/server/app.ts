import { createServer } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { BODY_LIMITS, parseJson } from "../domain/json.js";
import { labelled, type Metrics } from "../metrics/metrics.js";
import { registerAdmin, type AdminDeps } from "./admin.js";
import { registerConsoleFiles, registerConsoleStream, type ConsoleStreamDeps } from "./console.js";
import { registerEvents, type EventsDeps } from "./events.js";
import { registerOfrep, type OfrepDeps } from "./ofrep.js";
import { registerSdkSync, type SdkSyncDeps } from "./sdk-sync.js";
import { registerSdkFile } from "./sdk-file.js";
import { registerStageReports, registerStageViews, type StageRoutesDeps } from "./sdk-registry.js";
import { protocolError } from "./errors.js";
import { applicationAuth, registerCors, sameSecret } from "./client-keys.js";
import { routeValidator } from "./route-schemas.js";

export interface ServerDeps extends AdminDeps, ConsoleStreamDeps, EventsDeps, OfrepDeps, SdkSyncDeps, StageRoutesDeps {
  readonly adminToken: string;
  readonly ofrepToken: string;
  /** Origins browsers may call the SDK routes and events from (settings corsOrigins). */
  readonly corsOrigins?: string;
  /** Reads the admin API (GET, HEAD) and nothing else; empty: none. */
  readonly viewerToken?: string;
  readonly maxBodyBytes: number;
  /** Deadline for a whole request to arrive (slowly trickled bodies are cut off). */
  readonly requestTimeoutMs: number;
  readonly metrics: Metrics;
  /** Why the daemon is not ready (empty when it is): starting, stopping, a store or watcher failing. */
  readonly readiness: () => readonly string[];
}

/**
 * The HTTP surface: OFREP and events for applications, the admin API and the web console for
 * operators, /metrics for Prometheus, /livez and /readyz for the orchestrator.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.maxBodyBytes,
    logger: false,
    // Flag keys are `<target>.<path>`: long paths are legitimate (fastify's default cut is 100).
    routerOptions: { maxParamLength: 1024 },
    // Node checks request deadlines on a timer (30 s by default): checked this often, a body
    // trickled a byte at a time is cut off within about requestTimeoutMs.
    serverFactory: (handler) =>
      createServer({ requestTimeout: deps.requestTimeoutMs, headersTimeout: Math.min(deps.requestTimeoutMs, 60_000), connectionsCheckingInterval: Math.max(50, Math.min(1000, deps.requestTimeoutMs / 4)) }, handler),
  });

  const httpDuration = labelled(deps.metrics.httpDuration);
  // Hooks on every request are callback-style, not async: a promise per hook per request is
  // measurable on the evaluation path.
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    httpDuration(route, request.method, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    done();
  });
  // Compressed bodies are refused, not read as if they were plain (which garbles every line).
  app.addHook("onRequest", (request, reply, done) => {
    const encoding = request.headers["content-encoding"];
    if (encoding === undefined || encoding.trim().toLowerCase() === "identity") return done();
    void reply.code(415).send({ errorCode: "UNSUPPORTED_MEDIA_TYPE", errorDetails: `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the body uncompressed` });
  });
  app.setErrorHandler(protocolError);
  // Route schemas (route-schemas.ts) are checked by evolvd's own validator, not fastify's default.
  app.setValidatorCompiler(routeValidator);

  // JSON bodies, where an empty body is no body (POST …/kill and …/resume need none).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (/^\s*$/.test(text)) return done(null, undefined); // no copy of the body, unlike trim()
    // Depth, size and keys that could reach Object.prototype are refused before any route sees the body.
    const parsed = parseJson(text, BODY_LIMITS);
    if (parsed.ok) done(null, parsed.value);
    else done(Object.assign(new Error(`body: ${parsed.error.message}`), { statusCode: 400 }), undefined);
  });

  app.get("/livez", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const causes = deps.readiness();
    return causes.length === 0 ? { status: "ready" } : reply.code(503).send({ status: "not ready", causes });
  });
  app.get("/metrics", async (_request, reply) => {
    reply.header("Content-Type", deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  registerCors(app, deps.corsOrigins ?? "");
  // Each API is an encapsulated plugin with its own token hook: the hook runs for the routes
  // declared inside it, whichever spelling of the path the router resolved to them. A check on
  // the raw URL (`/%76%31/…`, `//v1/…`, absolute form) cannot see what the router will match.
  void app.register(async (scope) => {
    scope.addHook("onRequest", applicationAuth(deps.ofrepToken, () => deps.targets.targets.map((t) => t.target)));
    registerOfrep(scope, deps);
    registerEvents(scope, deps);
    registerSdkSync(scope, deps);
    registerStageReports(scope, deps);
  });
  void app.register(async (scope) => {
    if (deps.adminToken !== "") scope.addHook("onRequest", bearer(deps.adminToken, deps.viewerToken ?? ""));
    registerAdmin(scope, deps);
    registerStageViews(scope, deps);
    registerConsoleStream(scope, deps);
  });
  // The console's page and scripts hold no data: what they show comes from the admin API.
  registerConsoleFiles(app);
  registerSdkFile(app);
  return app;
}

/** The hook asking for `token`: 401 without a bearer token, 403 with a wrong one. */
/**
 * The bearer check of one API. A viewer token, where one is set, passes reads only (GET, HEAD);
 * the answer says which role was let in (`X-Evolvd-Role`), so the console hides the actions.
 */
function bearer(token: string, viewer = ""): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    const header = request.headers.authorization;
    if (!header?.startsWith("Bearer ")) {
      void reply.code(401).header("WWW-Authenticate", "Bearer").send({ errorCode: "UNAUTHORIZED", errorDetails: "a bearer token is required" });
      return;
    }
    const given = header.slice(7);
    if (sameSecret(given, token)) {
      if (viewer !== "") reply.header("X-Evolvd-Role", "admin");
      return done();
    }
    if (viewer !== "" && sameSecret(given, viewer)) {
      if (request.method === "GET" || request.method === "HEAD") {
        reply.header("X-Evolvd-Role", "viewer");
        return done();
      }
      void reply.code(403).send({ errorCode: "FORBIDDEN", errorDetails: "the viewer token only reads: this needs the admin token" });
      return;
    }
    void reply.code(403).send({ errorCode: "FORBIDDEN", errorDetails: "the bearer token is not valid" });
  };
}

