import { readFileSync } from "node:fs";
import fc from "fast-check";
import { CHECKOUT } from "../helpers.js";

/** Generators of hostile inputs for tests/fuzz/fuzz.test.ts: drop files, event bodies, OFREP and admin requests. */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

/**
 * A literal spliced into the JSON text after stringify, for numbers JSON.stringify cannot write
 * (1e999 parses to Infinity, 30 digits lose precision) and tokens that are not JSON at all.
 */
const raw = (token: string): string => `\u0000raw:${token}\u0000`;
const unraw = (text: string): string => text.replace(/"\\u0000raw:([^"\\]*)\\u0000"/g, "$1");
const RAW_TOKENS = ["1e999", "-1e999", "123456789012345678901234567890", "-0", "1e-400", "0.30000000000000004", "NaN", "Infinity", "undefined", "0x10", "01", "1_000", "+1", ".5", "true false"];

/** Keys that reach Object.prototype if code writes `node[key]`, and keys the loaders look for. */
const PROTO_KEYS = ["__proto__", "constructor", "prototype"];
const KNOWN_KEYS = ["target", "schema", "baseline", "mutations", "policy", "functions", "format", "min", "max", "length", "registry", "op", "path", "values", "maxStep", "step", "seed", "kpi", "kind", "scenario", "type", "unit", "ts", "arm", "metrics", "attributes", "context", "targetingKey", "reason", "version"];

/** Strings with characters that break naive code: NUL, bidi overrides, lone surrogates, dots, quotes, length. */
export const oddString = fc.oneof(
  fc.constantFrom("", " ", "\u0000", "\u202e", "\ud800", "\udfff", "\ufeff", "🎉", "a.b", "..", "%00", "%2e", '"', "\\", "\n", "2500", "lru ", "LRU", "pricing.flat\u0000", "NaN", "toString", "hasOwnProperty", ...PROTO_KEYS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme-ascii", minLength: 300, maxLength: 3000 }),
);

/** Values of the wrong type, out of range, or at the edges of what a double holds. */
const edgeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1, 0.5, 2500, 1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 63), [], {}, [null], { format: "int" }, ["lru"], [0.5, 0.5]),
  fc.constantFrom(...RAW_TOKENS).map(raw),
  fc.double().map((d) => (Number.isFinite(d) ? d : raw(String(d)))),
  fc.integer(),
);

/** A value nested `depth` levels deep (the loaders refuse more than 32; 10,000 is in drop-attacks.test.ts). */
const deep: fc.Arbitrary<Json> = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.boolean()).map(([depth, arrays]) => {
  let value: Json = { format: "Boolean" };
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
});

const anyValue: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: edgeValue, weight: 4 },
  { arbitrary: oddString, weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, weight: 3 },
  { arbitrary: deep, weight: 1 },
);
const anyKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.constantFrom(...KNOWN_KEYS), oddString);

/** Mostly `valid`, sometimes `odd`: inputs that pass the first check reach the code behind it. */
const mostly = <T>(valid: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>, weight = 6): fc.Arbitrary<T> => fc.oneof({ arbitrary: valid, weight }, { arbitrary: odd as fc.Arbitrary<T>, weight: 1 });

/** One change to a JSON document; `at` picks a position modulo what the document holds then. */
type Edit = { kind: "delete"; at: number } | { kind: "replace"; at: number; value: Json } | { kind: "inject"; at: number; key: string; value: Json };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("inject" as const), at: fc.nat(), key: anyKey, value: anyValue }),
);
/** No edit two times in three, else one or two. */
const someEdits = mostly(fc.constant([] as Edit[]), fc.array(edit, { minLength: 1, maxLength: 2 }), 2);

/** Writes an own property even for `__proto__` (assignment would set the prototype instead). */
function put(node: Container, key: string | number, value: Json): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

function containers(root: Json): Container[] {
  const out: Container[] = [];
  const walk = (node: Json, depth: number) => {
    if (node === null || typeof node !== "object" || depth > 40) return;
    out.push(node);
    for (const child of Object.values(node)) walk(child as Json, depth + 1);
  };
  walk(root, 0);
  return out;
}

/**
 * Applies the edits to a copy of `doc` and writes it as JSON, raw tokens spliced in. Values are
 * copied too: fc.constantFrom hands out the same object every time, which two edits could nest
 * in itself (a cycle) or later runs would see changed.
 */
function applyEdits(doc: Json, edits: readonly Edit[], indent?: number | string): string {
  const copy = structuredClone(doc);
  for (const original of edits) {
    const e = structuredClone(original);
    const all = containers(copy);
    if (e.kind === "inject") {
      const node = all[e.at % all.length] as Container;
      if (Array.isArray(node)) node.push(e.value);
      else put(node, e.key, e.value);
      continue;
    }
    const slots = all.flatMap((node) => Object.keys(node).map((key) => [node, key] as const));
    if (slots.length === 0) continue;
    const [node, key] = slots[e.at % slots.length] as readonly [Container, string];
    if (e.kind === "replace") put(node, Array.isArray(node) ? Number(key) : key, e.value);
    else if (Array.isArray(node)) node.splice(Number(key), 1);
    else delete node[key];
  }
  return unraw(JSON.stringify(copy, null, indent));
}

/** Damage to the text itself: cut, trailing garbage, a BOM, one character replaced. */
const textDamage: fc.Arbitrary<(text: string) => string> = mostly(
  fc.constant((t: string) => t),
  fc.oneof(
    fc.nat().map((n) => (t: string) => t.slice(0, n % (t.length + 1))),
    oddString.map((g) => (t: string) => t + g),
    fc.constant((t: string) => "\ufeff" + t),
    fc.tuple(fc.nat(), oddString).map(([n, s]) => (t: string) => t.slice(0, n % (t.length + 1)) + s + t.slice((n % (t.length + 1)) + 1)),
  ),
  4,
);

/** configs/checkout.json as another target, without screening (keeps each load fast). */
export function baseTarget(name: string): Record<string, Json> {
  const doc = JSON.parse(readFileSync(CHECKOUT, "utf8"));
  doc.target = name;
  doc.policy.screening.scenario = null;
  return doc;
}

/**
 * The content of a drop file: the valid file edited, valid but with odd free text, damaged text,
 * garbage, or bytes. Its target is new, or one of two names used again (its history, written
 * under another schema, is restored), or `checkout` (a duplicate).
 */
const targetName = fc.oneof({ arbitrary: fc.nat(1e6).map((n) => `fuzz-${n}`), weight: 5 }, { arbitrary: fc.constantFrom("fuzz-a", "fuzz-b"), weight: 5 }, { arbitrary: fc.constant("checkout"), weight: 1 });
export const dropFile: fc.Arbitrary<string | Uint8Array> = fc
  .record({ name: targetName, indent: fc.constantFrom(undefined, 2, "\t") })
  .chain(({ name, indent }) => {
    const base = baseTarget(name);
    const edited = fc.tuple(fc.array(edit, { minLength: 1, maxLength: 4 }), textDamage).map(([edits, damage]) => damage(applyEdits(base, edits, indent)));
    // Free text a valid file may hold: the file loads, and odd characters travel on to the history and the API.
    const freeText = fc.record({ description: oddString, doc: oddString, seed: fc.oneof(oddString.map((s) => s.slice(0, 200)), fc.double({ noNaN: true, noDefaultInfinity: true })) }).map(({ description, doc, seed }) => {
      const copy = structuredClone(base) as any;
      Object.assign(copy, { description });
      copy.schema.retry.limit.doc = doc;
      copy.policy.seed = seed;
      return JSON.stringify(copy, null, indent);
    });
    return fc.oneof(
      { arbitrary: edited, weight: 12 },
      { arbitrary: freeText, weight: 3 },
      { arbitrary: fc.constantFrom("", " ", "\n", "{}", "[]", "null", "0", '""', "{", "\ufeff{}", '{"target":"x"}', "\u0000"), weight: 2 },
      { arbitrary: fc.oneof(fc.string({ unit: "binary" }), fc.json()), weight: 2 },
      { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 1 },
    );
  });

const HEX64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/**
 * An exposure or outcome of checkout whose fields are each usually valid (real arms, a few
 * units shared between lines, so outcomes find their exposure), sometimes odd, then maybe edited.
 */
function nearEvent(arms: readonly string[]): fc.Arbitrary<string> {
  const common = {
    target: mostly(fc.constant("checkout"), fc.oneof(fc.constantFrom("nope", "CHECKOUT", "__proto__", "spare"), oddString)),
    unit: mostly(fc.constantFrom("u1", "u2", "u3", "u4", "u5"), fc.oneof(oddString, fc.string({ minLength: 250, maxLength: 260 }))),
    ts: mostly(fc.nat(), edgeValue),
    arm: mostly(fc.constantFrom(...arms), fc.oneof(HEX64, oddString, edgeValue)),
  };
  const kpi = mostly(fc.constantFrom("conversion", "latency_ms", "error", "junk_kpi"), fc.oneof(fc.constantFrom("Conversion", "", ...PROTO_KEYS), oddString));
  const exposure = fc.record({ type: fc.constant("exposure"), ...common, attributes: mostly(fc.dictionary(fc.constantFrom("device", "country"), fc.string({ maxLength: 8 }), { maxKeys: 2 }), fc.oneof(fc.dictionary(anyKey, anyValue, { maxKeys: 3 }), edgeValue)) }, { requiredKeys: ["type", "target", "unit", "ts"] });
  const outcome = fc.record({ type: fc.constant("outcome"), ...common, metrics: mostly(fc.dictionary(kpi, mostly(fc.constantFrom(0, 1, 182.5), edgeValue), { minKeys: 1, maxKeys: 3 }), edgeValue) }, { requiredKeys: ["type", "target", "unit", "ts", "metrics"] });
  const event = mostly(fc.oneof(exposure, outcome), fc.record({ type: oddString, target: fc.constant("checkout"), unit: fc.constant("u1"), ts: fc.constant(1) }));
  return fc.tuple(event, someEdits).map(([e, edits]) => applyEdits(e as Json, edits));
}

/** One NDJSON line (or several, when a generated string holds a newline). */
function line(arms: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: nearEvent(arms), weight: 12 },
    { arbitrary: fc.json({ maxDepth: 3 }), weight: 2 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 80 }), weight: 2 },
    { arbitrary: fc.constantFrom("", "   ", "\r", "{}", "[]", "null", '{"type":"exposure"}', `{"x":"${"y".repeat(70_000)}"}`), weight: 1 },
  );
}

export type EventBody = { readonly type: string; readonly body: string; readonly ndjson: boolean };

const NDJSON_TYPES = ["application/x-ndjson", "application/x-ndjson", "application/ndjson", "text/plain", "application/x-ndjson; charset=utf-8"];
const JSON_TYPES = ["application/json", "application/json", "application/json; charset=utf-8"];
export const BAD_TYPES = ["application/xml", "text/html", "application/octet-stream", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "image/png"];

/** A body for POST /v1/events: NDJSON lines, a JSON event or array, or any of it under a type no parser takes. */
export function eventBody(arms: readonly string[]): fc.Arbitrary<EventBody> {
  const lines = fc.array(line(arms), { maxLength: 30 });
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({ type: fc.constantFrom(...NDJSON_TYPES), lines, eol: fc.constantFrom("\n", "\r\n"), trailing: fc.boolean() }).map(({ type, lines, eol, trailing }) => ({ type, body: lines.join(eol) + (trailing ? eol : ""), ndjson: true })),
    },
    {
      weight: 8,
      arbitrary: fc
        .record({ type: fc.constantFrom(...JSON_TYPES), body: fc.oneof(line(arms), lines.map((ls) => `[${ls.join(",")}]`), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.constantFrom("", " ", "[]", "[[]]", "[null]", "{}")) })
        .map(({ type, body }) => ({ type, body, ndjson: false })),
    },
    // More lines than maxEventsPerRequest: 413 before any is ingested.
    { weight: 1, arbitrary: fc.constant({ type: "application/x-ndjson", body: "{}\n".repeat(10_001), ndjson: true }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constantFrom(...BAD_TYPES), body: line(arms) }).map(({ type, body }) => ({ type, body, ndjson: false })) },
  );
}

/** Percent-encodes every byte outside the unreserved set, so any string can be a path segment. */
const encode = (s: string): string => [...Buffer.from(s, "utf8")].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : "%" + b.toString(16).padStart(2, "0").toUpperCase())).join("");

/**
 * Request targets are cut to 12,000 characters: beyond Node's 16 KiB header limit its HTTP
 * parser answers 431 and closes the socket before any evolvd code runs.
 */
const MAX_TARGET = 12_000;

/** Flag keys: checkout's settings, prototype keys, dots, raw percent escapes, odd strings, long runs. */
export const flagKey: fc.Arbitrary<string> = mostly(
  fc.constantFrom("checkout", "checkout.retry.limit", "checkout.retry", "checkout.routing.weights", "checkout.cache.policy", "checkout.pricing.function", "checkout.timeout_ms"),
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("checkout", "checkout.", "retry", "limit", "routing.weights", "0", "length", "cache", "nope", "CHECKOUT", ...PROTO_KEYS, "toString", "valueOf") },
        { weight: 3, arbitrary: fc.constantFrom(".", "..", "%2e", "%2E", "%00", "%ff", "%2F", "/", "%", "%zz", "%c0%ae", "%252e", "?x=1", ";", "%3F", "%23") },
        { weight: 2, arbitrary: oddString.map(encode) },
        { weight: 1, arbitrary: fc.integer({ min: 90, max: 5000 }).map((n) => "k".repeat(n)) },
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((pieces) => pieces.join("").slice(0, MAX_TARGET)),
  2,
);

/** An OFREP body: usually a context with a unit, else odd keys, attributes or any JSON. */
export const ofrepBody: fc.Arbitrary<string | undefined> = mostly(
  fc
    .tuple(fc.record({ targetingKey: mostly(fc.string({ minLength: 1, maxLength: 10 }), fc.oneof(oddString, edgeValue, fc.string({ minLength: 250, maxLength: 300 })), 3), plan: fc.oneof(oddString, edgeValue), country: fc.string() }, { requiredKeys: ["targetingKey"] }), someEdits)
    .map(([context, edits]) => applyEdits({ context } as Json, edits)),
  fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.constant(undefined), fc.constantFrom("", "{", "null", "[]", '{"context":null}'), fc.string({ unit: "binary", maxLength: 40 })),
  5,
);
export const ofrepType = mostly(fc.constant("application/json"), fc.constantFrom("text/plain", "application/xml", "application/json; charset=latin1"), 5);

/** A path segment a router might decode, fold or resolve into another. */
const weirdSegment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("..", ".", "%2e", "%2e%2e", "%2E%2E", "%00", "", "TARGETS", "Targets", "KILL", "__proto__", "constructor", "prototype", "%2F", "%5C", "%", "x".repeat(300)) },
  { weight: 1, arbitrary: oddString.map(encode) },
);

/**
 * A request shaped like an admin route (`GET /v1/targets/<name>`, `POST …/kill`, `GET /v1/diff?…`),
 * with now and then a segment swapped for a weird one, the root spelled otherwise, or the other method.
 */
export function adminRequest(names: readonly string[], versions: readonly string[]): fc.Arbitrary<{ method: string; path: string }> {
  const seg = (valid: fc.Arbitrary<string>) => mostly(valid, weirdSegment, 8);
  const name = seg(fc.constantFrom(...names));
  const version = mostly(fc.constantFrom(...versions), fc.oneof(weirdSegment, HEX64), 3);
  const route: fc.Arbitrary<[string, string]> = fc.oneof(
    fc.tuple(fc.constant("GET"), seg(fc.constant("targets"))),
    fc.tuple(fc.constant("GET"), fc.tuple(seg(fc.constant("targets")), name, fc.constantFrom("", "/versions")).map(([t, n, v]) => `${t}/${n}${v}`)),
    fc.tuple(fc.constant("POST"), fc.tuple(seg(fc.constant("targets")), name, seg(fc.constantFrom("kill", "resume", "rollback"))).map((s) => s.join("/"))),
    fc.tuple(fc.constant("GET"), fc.tuple(version, version).map(([a, b]) => `diff?from=${a}&to=${b}`)),
    fc.tuple(fc.constantFrom("GET", "POST"), fc.constantFrom("events", "diff", "diff?__proto__[x]=1", "targets?constructor[prototype][x]=1")),
    fc.tuple(fc.constantFrom("GET", "POST"), fc.array(weirdSegment, { maxLength: 4 }).map((s) => s.join("/"))),
  );
  const root = mostly(fc.constant("/v1/"), fc.constantFrom("//v1/", "/%76%31/", "/V1/", "/v1//", "/ofrep/v1/evaluate/flags/", "/v1/./"), 8);
  const otherMethod = mostly(fc.constant(false), fc.constant(true), 8);
  return fc.tuple(root, route, otherMethod).map(([r, [method, p], other]) => ({ method: other ? (method === "GET" ? "POST" : "GET") : method, path: (r + p).slice(0, MAX_TARGET) }));
}

/** An admin body: a kill reason or rollback version of any kind, or any JSON, or nothing. */
export function adminBody(versions: readonly string[]): fc.Arbitrary<string | undefined> {
  const version = mostly(fc.constantFrom(...versions, ...versions.map((v) => v.slice(0, 12))), fc.oneof(HEX64, oddString, edgeValue), 3);
  return mostly(
    fc.tuple(fc.record({ version, reason: fc.oneof(fc.string({ maxLength: 20 }), oddString, edgeValue) }, { requiredKeys: [] }), someEdits).map(([b, edits]) => applyEdits(b as Json, edits)),
    fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.constantFrom("", "{", "null")),
    3,
  );
}

/** Authorization headers that are not the admin token: missing, wrong, wrong scheme, near misses. */
export function wrongAuth(admin: string): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    fc.constant({}),
    fc.constantFrom("Bearer wrong", `Bearer ${admin}x`, `bearer ${admin}`, `Bearer  ${admin}`, `Basic ${admin}`, admin, "Bearer ", "Bearer", `Bearer ${admin.toUpperCase()}`, `Bearer ${admin.slice(0, -1)}`).map((v) => ({ authorization: v })),
    oddString.filter((s) => /^[\t\x20-\x7e]*$/.test(s)).map((s) => ({ authorization: `Bearer ${s}` })),
  );
}
