import { request } from "node:http";

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTP request whose request target is sent exactly as given (fetch would normalise
 * `/%76%31/…`, `//v1/…` or an absolute-form target before it leaves the process).
 */
export function rawRequest(base: string, target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, method: init.method ?? "GET", path: target, headers: { ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...(init.headers ?? {}) } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end(init.body);
  });
}

/**
 * Other spellings of a path that a router might resolve to the same route: percent-encoded
 * characters, doubled and trailing slashes, dot segments, case, and the absolute form.
 */
export function spellings(path: string, base: string): string[] {
  const encodeChar = (s: string, i: number) => s.slice(0, i) + "%" + s.charCodeAt(i).toString(16).padStart(2, "0") + s.slice(i + 1);
  const segments = path.split("/");
  const out = new Set<string>([
    path,
    path + "/",
    "/" + path,
    path.replace(/\//g, "//"),
    segments.slice(0, 2).join("/") + "/./" + segments.slice(2).join("/"),
    segments.slice(0, 2).join("/") + "/x/../" + segments.slice(2).join("/"),
    path.toUpperCase(),
    path + "?x=1",
    path + "%00",
    path.replace(/\//g, "%2F").replace(/^%2F/, "/"),
    new URL(path, base).href,
    `http://evil.example${path}`,
  ]);
  // Every single character percent-encoded in turn, and the whole first segment encoded.
  for (let i = 1; i < path.length; i++) if (path[i] !== "/") out.add(encodeChar(path, i));
  out.add("/" + [...(segments[1] ?? "")].map((c) => "%" + c.charCodeAt(0).toString(16)).join("") + "/" + segments.slice(2).join("/"));
  out.add("/" + [...(segments[1] ?? "")].map((c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()).join("") + "/" + segments.slice(2).join("/"));
  return [...out];
}
