import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./helpers.js";

/**
 * A real Redis for tests: REDIS_URL when given, else a throwaway `redis-server` (Debian
 * package) on a free port, with nothing persisted. Never a mock.
 */
export interface TestRedis {
  readonly url: string;
  client(): Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const clients: Redis[] = [];
  const client = (url: string) => () => {
    const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: false });
    clients.push(redis);
    return redis;
  };
  const closeClients = async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  };
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, client: client(process.env.REDIS_URL), stop: closeClients };
  const port = await freePort();
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  await answering(url);
  return {
    url,
    client: client(url),
    async stop() {
      await closeClients();
      child.kill("SIGTERM");
    },
  };
}

/**
 * A redis-server of the test's own (never REDIS_URL: it is stopped and started again), with an
 * append-only file fsynced on every write, so a restart keeps everything acknowledged.
 */
export interface OwnRedis {
  readonly url: string;
  /** Stops the server (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder; resolves when it answers. */
  start(): Promise<void>;
}

export async function startOwnRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"], { stdio: "ignore" });
    await answering(url);
  };
  await start();
  return {
    url,
    start,
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((done) => running.once("exit", done));
      running.kill("SIGTERM");
      await exited;
    },
  };
}

/** Waits until a just-started redis-server answers PING (refused until it listens: retried). */
async function answering(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (attempt > 100) throw new Error(`redis-server did not start on ${url}: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    probe.disconnect();
  }
}
