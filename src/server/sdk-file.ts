import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** The SDK's browser build (`npm run build` writes it): dist/sdk/browser.js at the package root. */
export const SDK_BROWSER_FILE = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "sdk", "browser.js");

/**
 * `GET /sdk/evolvd-sdk.js`: the SDK as one ES module for pages, so a page served from the
 * daemon's origin (or through a same-origin proxy) imports it and syncs without CORS. It holds
 * no data: what it shows comes from /v1/sdk/* under the OFREP token.
 */
export function registerSdkFile(app: FastifyInstance): void {
  const body = existsSync(SDK_BROWSER_FILE) ? readFileSync(SDK_BROWSER_FILE) : null;
  app.get("/sdk/evolvd-sdk.js", async (_request, reply) => {
    if (!body) return reply.code(404).send({ error: "not_found", message: "the SDK's browser build is missing: run npm run build" });
    return reply.header("Content-Type", "text/javascript; charset=utf-8").header("Cache-Control", "no-cache").header("X-Content-Type-Options", "nosniff").send(body);
  });
}
