/**
 * evolvd's application SDK (`import { createClient } from "evolvd/sdk"`): local evaluation
 * with exactly OFREP's answers, synced from the daemon and pushed on every change. docs/sdk.md.
 *
 *   const client = createClient({ url: "http://127.0.0.1:8787", token });
 *   await client.ready();
 *   const { value, version, arm, reason } = client.evaluate("checkout", user.id, { device: "mobile" });
 *   client.track("checkout", user.id, { conversion: 1 });
 *   client.register("pricing", priceOf, { input, output });   // a pipeline stage (docs/stages.md)
 *   const { output } = await client.run("checkout", "pricing", user.id, cart);
 *   client.components.registry.define("recommender", wit);           // a component (docs/components.md)
 *   await client.components.registry.register("recommender", moduleBytes, { name: "popularity" });
 *   client.components.use("shop", "recommender", user.id).call("score", item, segment);
 *   await client.close();
 */
import { EvolvdClient, type ClientOptions } from "./client.js";

export { EvolvdClient, type ClientOptions, type SdkStats } from "./client.js";
export type { Evaluation } from "./local-target.js";
export { LocalTarget } from "./local-target.js";
export { StageError, stageVersionOf, type RegisteredStage, type StageContext, type StageFunction, type StageImplementation, type StageOptions } from "./stages.js";
export type { StageRun } from "./interceptor.js";
export type { ServingState } from "../stream/serving-state.js";
export { ComponentManager, type ComponentHandle } from "./components/manager.js";
export { ComponentRegistry, ComponentError, type ComponentMetadata, type RegisteredComponent } from "./components/registry.js";
export { ComponentSlot, type SwapReport, type SwapListener } from "./components/slot.js";
export { ComponentInstance } from "./components/instance.js";
export { ComponentLoader, cacheStore, moduleVersionOf, type ModuleSource, type ModuleStore } from "./components/loader.js";
export { ComponentWorker, type WorkerLike } from "./components/worker-client.js";
export { followAssignment, type SwapTarget } from "./components/follow.js";
export { parseWit, WitError, type WitWorld, type WitInterface, type WitFunction, type WitType } from "./components/wit.js";
export { interfaceProblems } from "./components/check.js";

export function createClient(options: ClientOptions): EvolvdClient {
  return new EvolvdClient(options);
}
