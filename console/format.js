// evolvd console: small formatting and DOM helpers shared by every view (no framework).
"use strict";
(function (E) {
  /** An element with attributes and children; strings become text nodes (never HTML). */
  E.el = function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
    return node;
  };

  const SVG = "http://www.w3.org/2000/svg";
  /** An SVG element with attributes and children. */
  E.svg = function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  };

  /** The first 10 hex digits of a version id: enough to tell versions apart on a page. */
  E.short = (id) => (typeof id === "string" ? id.slice(0, 10) : "—");
  E.pct = (x, digits = 1) => (typeof x === "number" && Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(100 * x).toFixed(digits)} %` : "—");
  E.share = (x) => (typeof x === "number" && Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "—");
  E.num = (x, digits = 4) => (typeof x === "number" && Number.isFinite(x) ? Number(x.toPrecision(digits)).toLocaleString("en-US") : "—");
  E.count = (x) => (typeof x === "number" ? x.toLocaleString("en-US") : "—");
  E.time = (ms) => (typeof ms === "number" ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");
  E.value = (v) => (v === undefined ? "∅" : typeof v === "string" ? v : JSON.stringify(v));

  /** One mutation in words: `nudge checkout.timeout_ms 800 → 880`. */
  E.mutation = (m) => `${m.op} ${m.path} ${E.value(m.from)} → ${E.value(m.to)}`;

  /** Leaf paths of a value (objects and arrays walked), for diffs. */
  E.leaves = function leaves(value, prefix = "", out = new Map()) {
    if (value !== null && typeof value === "object") {
      const entries = Array.isArray(value) ? value.map((v, i) => [`${prefix}[${i}]`, v]) : Object.entries(value).map(([k, v]) => [prefix ? `${prefix}.${k}` : k, v]);
      if (entries.length === 0) out.set(prefix, value);
      for (const [path, v] of entries) leaves(v, path, out);
    } else out.set(prefix, value);
    return out;
  };

  /** Changed leaves between two value sets, sorted by path. */
  E.diff = function diff(a, b) {
    const from = E.leaves(a || {});
    const to = E.leaves(b || {});
    const paths = [...new Set([...from.keys(), ...to.keys()])].sort();
    return paths.filter((p) => JSON.stringify(from.get(p)) !== JSON.stringify(to.get(p))).map((path) => ({ path, from: from.get(path), to: to.get(path) }));
  };

  /** Colours of arms (baseline first) and of version outcomes, shared by plots, tables and the graph. */
  E.ARM_COLOURS = ["#6b7280", "#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626", "#4f46e5", "#ca8a04", "#0d9488", "#9333ea", "#e11d48"];
  E.armColour = (i) => E.ARM_COLOURS[i % E.ARM_COLOURS.length];
  E.OUTCOME_COLOURS = { anchor: "#374151", committed: "#059669", restored: "#0891b2", live: "#2563eb", rejected: "#9ca3af", pulled: "#dc2626", rolled_back: "#ea580c", inconclusive: "#a3a3a3", lost: "#d1d5db", killed: "#7f1d1d", draft: "#7c3aed", proposed: "#93c5fd" };
})((window.evolvd = window.evolvd || {}));
