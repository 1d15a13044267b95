// evolvd console: the lineage graph of versions (parent → child), drawn as SVG by hand: columns
// are generations, colours are how each version ended, edges carry the mutations.
"use strict";
(function (E) {
  const COLUMN = 170;
  const ROW = 30;
  const PAD = 24;

  /** The graph of `lineage` (model.js lineageOf) into `container`; clicking a node calls onSelect(id). */
  E.lineageGraph = function lineageGraph(container, lineage, onSelect, selected) {
    const { nodes, edges, baseline } = lineage;
    if (nodes.length === 0) {
      container.replaceChildren(E.el("p", { class: "empty" }, "no versions yet"));
      return;
    }
    const columns = Math.max(...nodes.map((n) => n.x)) + 1;
    const rows = Math.max(...nodes.map((n) => n.y)) + 1;
    const w = PAD * 2 + (columns - 1) * COLUMN + 90;
    const h = PAD * 2 + (rows - 1) * ROW + 16;
    const pos = (n) => [PAD + n.x * COLUMN, PAD + n.y * ROW];
    const graph = E.svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": "lineage of versions" });

    for (const edge of edges) {
      const [x1, y1] = pos(edge.from);
      const [x2, y2] = pos(edge.to);
      const mid = (x1 + x2) / 2;
      const kept = edge.to.outcome === "committed" || edge.to.outcome === "live";
      const path = E.svg("path", { class: `edge ${edge.to.outcome}`, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, fill: "none", stroke: kept ? E.OUTCOME_COLOURS[edge.to.outcome] : "#d1d5db", "stroke-width": kept ? 2 : 1 });
      path.append(E.svg("title", {}, edge.mutations.map(E.mutation).join("\n") || "no change"));
      graph.append(path);
      // Mutations are written on the edges that moved the baseline (the rest: hover a line).
      if (edge.to.outcome === "committed" && edge.mutations.length) {
        const first = edge.mutations[0];
        const text = `${first.op} ${first.path}${edge.mutations.length > 1 ? ` +${edge.mutations.length - 1}` : ""}`;
        graph.append(E.svg("text", { class: "edge-label", x: mid, y: (y1 + y2) / 2 - 10, "text-anchor": "middle" }, text));
      }
    }
    for (const node of nodes) {
      const [x, y] = pos(node);
      const g = E.svg("g", { class: `node ${node.outcome}${node.id === selected ? " selected" : ""}`, "data-version": node.id, "data-outcome": node.outcome, transform: `translate(${x},${y})`, tabindex: 0 });
      if (node.id === baseline) g.append(E.svg("circle", { r: 11, fill: "none", stroke: "#111827", "stroke-width": 2 }));
      g.append(E.svg("circle", { r: 7, fill: E.OUTCOME_COLOURS[node.outcome] || "#9ca3af" }));
      g.append(E.svg("text", { x: 12, y: 4 }, E.short(node.id).slice(0, 8)));
      g.append(E.svg("title", {}, `${node.id}\n${node.outcome} · generation ${node.generation}${node.mutations.length ? "\n" + node.mutations.map(E.mutation).join("\n") : ""}`));
      g.addEventListener("click", () => onSelect && onSelect(node.id));
      g.addEventListener("keydown", (event) => event.key === "Enter" && onSelect && onSelect(node.id));
      graph.append(g);
    }
    const legend = E.el("div", { class: "legend" }, Object.entries(E.OUTCOME_COLOURS).filter(([o]) => nodes.some((n) => n.outcome === o)).map(([o, c]) => E.el("span", { class: "key" }, E.el("i", { style: `background:${c}` }), o.replace("_", " "))));
    container.replaceChildren(legend, E.el("div", { class: "graph-scroll" }, graph));
  };
})((window.evolvd = window.evolvd || {}));
