import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../../src/store/redis-store.js";
import { checkpointContract, historyStoreContract, version } from "../contract/store-contract.js";
import { startRedis, type TestRedis } from "../redis-server.js";

let redis: TestRedis;
let namespace = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Every store gets its own deployment prefix on the shared server: no flushing between tests.
const fresh = () => new RedisStore(redis.client(), `evolvd-test-${process.pid}-${namespace++}`);
historyStoreContract("redis", fresh);
checkpointContract("redis", fresh);

describe("Redis store specifics", () => {
  it("keeps deployments apart by prefix", async () => {
    const a = fresh();
    const b = fresh();
    await a.append("checkout", [{ kind: "version", at: 1, version: version(1) }]);
    expect(await b.read("checkout")).toEqual([]);
    expect(await b.targets()).toEqual([]);
  });

  it("stores a batch as one list element under the namespaced key (a commit's decision and baseline move land together)", async () => {
    const prefix = `evolvd-test-${process.pid}-atomic`;
    const store = new RedisStore(redis.client(), prefix);
    await store.append("checkout", [
      { kind: "transition", at: 1, experiment: "checkout/g1", generation: 1, from: "running", to: "committed", reason: "won" },
      { kind: "baseline", at: 1, version: version(2).id, previous: version(1).id, cause: "commit", reason: "won" },
    ]);
    const client = redis.client();
    expect(await client.llen(`${prefix}:t:{checkout}:history`)).toBe(1);
    expect(await client.smembers(`${prefix}:targets`)).toEqual(["checkout"]);
  });
});
