import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** The SDK's browser build (`npm run build` writes it): dist/sdk/browser.js at the package root. */
export const SDK_BROWSER_FILE = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "sdk", "browser.js");
/** The component worker's browser build (dist/sdk/component-worker.js): a Worker must come from the page's origin. */
export const COMPONENT_WORKER_FILE = resolve(dirname(SDK_BROWSER_FILE), "component-worker.js");

/**
 * `GET /sdk/evolvd-sdk.js`: the SDK as one ES module for pages, so a page served from the
 * daemon's origin (or through a same-origin proxy) imports it and syncs without CORS. It holds
 * no data: what it shows comes from /v1/sdk/* under the OFREP token.
 */
export function registerSdkFile(app: FastifyInstance): void {
  serveFile(app, "/sdk/evolvd-sdk.js", SDK_BROWSER_FILE, "the SDK's browser build");
  // GET /sdk/evolvd-component-worker.js: the dedicated worker components run in (docs/components.md).
  serveFile(app, "/sdk/evolvd-component-worker.js", COMPONENT_WORKER_FILE, "the component worker's browser build");
}

function serveFile(app: FastifyInstance, path: string, file: string, what: string): void {
  const body = existsSync(file) ? readFileSync(file) : null;
  app.get(path, async (_request, reply) => {
    if (!body) return reply.code(404).send({ error: "not_found", message: `${what} is missing: run npm run build` });
    return reply.header("Content-Type", "text/javascript; charset=utf-8").header("Cache-Control", "no-cache").header("X-Content-Type-Options", "nosniff").send(body);
  });
}
