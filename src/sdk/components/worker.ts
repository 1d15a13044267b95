/**
 * The component worker (dist/sdk/component-worker.js, served by the daemon at
 * /sdk/evolvd-component-worker.js): runs components in a dedicated Web Worker, so loading,
 * compiling, swapping and calling them never blocks the page. The page talks to it through
 * worker-client.ts; every request gets one answer, and every swap is also announced.
 */
import { cacheStore } from "./loader.js";
import { ComponentRegistry, type ComponentMetadata } from "./registry.js";
import { ComponentSlot } from "./slot.js";

export type WorkerRequest =
  | { readonly id: number; readonly op: "define"; readonly component: string; readonly wit: string; readonly world?: string }
  | { readonly id: number; readonly op: "register"; readonly component: string; readonly source: { readonly url: string } | { readonly bytes: ArrayBuffer }; readonly version?: string; readonly metadata?: ComponentMetadata }
  | { readonly id: number; readonly op: "swap"; readonly component: string; readonly version: string }
  | { readonly id: number; readonly op: "call"; readonly component: string; readonly name: string; readonly args: readonly unknown[] }
  | { readonly id: number; readonly op: "capture"; readonly component: string };

export type WorkerAnswer = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string; readonly code?: string };

interface WorkerScope {
  postMessage(message: unknown, transfer?: unknown[]): void;
  addEventListener(type: "message", listener: (event: { data: WorkerRequest }) => void): void;
  performance: { now(): number };
}

/** Serves the protocol on `scope` (the worker's global). */
export function serveComponents(scope: WorkerScope): void {
  const store = cacheStore();
  const registry = new ComponentRegistry(store ? { store } : {});
  const slots = new Map<string, ComponentSlot>();
  const slotOf = (component: string): ComponentSlot => {
    let slot = slots.get(component);
    if (!slot) {
      slot = new ComponentSlot(component, registry.worldOf(component), () => scope.performance.now());
      slot.onSwap((report) => scope.postMessage({ event: "swap", report }));
      slots.set(component, slot);
    }
    return slot;
  };
  const handle = async (request: WorkerRequest): Promise<unknown> => {
    switch (request.op) {
      case "define":
        registry.define(request.component, request.wit, request.world);
        return null;
      case "register":
        return registry.register(request.component, "url" in request.source ? request.source : new Uint8Array(request.source.bytes), request.metadata ?? {}, request.version);
      case "swap":
        return slotOf(request.component).swap(request.version, () => registry.module(request.component, request.version));
      case "call":
        return slotOf(request.component).call(request.name, ...request.args);
      case "capture":
        return slotOf(request.component).active?.capture() ?? null;
    }
  };
  scope.addEventListener("message", (event) => {
    const request = event.data;
    handle(request).then(
      (value) => scope.postMessage({ id: request.id, ok: true, value } satisfies WorkerAnswer),
      (error: Error) => scope.postMessage({ id: request.id, ok: false, error: error.message, ...((error as { code?: string }).code ? { code: (error as { code?: string }).code } : {}) } satisfies WorkerAnswer),
    );
  });
}

// Started when loaded as a worker (in a page or in Node, importing this file starts nothing).
const WorkerGlobal = (globalThis as { WorkerGlobalScope?: new () => unknown }).WorkerGlobalScope;
if (typeof WorkerGlobal === "function" && globalThis instanceof WorkerGlobal) serveComponents(globalThis as unknown as WorkerScope);
