// evolvd console: the target list and a target's page, rendered from the model (model.js).
"use strict";
(function (E) {
  const { el } = E;

  /** The state of a target in a word: killed, paused, the live experiment's status, or idle. */
  E.stateOf = (s) => (s.killed ? "killed" : s.experiment ? (s.experiment.paused && s.experiment.paused.length ? "paused" : s.experiment.status) : "idle");

  E.renderTargets = function renderTargets(container, summaries, selected, onSelect) {
    if (summaries.length === 0) return container.replaceChildren(el("p", { class: "empty" }, "no targets: drop a target file into the drop folder"));
    container.replaceChildren(
      ...summaries.map((s) =>
        el("button", { class: `target${s.target === selected ? " selected" : ""}`, dataset: { target: s.target }, onclick: () => onSelect(s.target) },
          el("span", { class: "name" }, s.target),
          el("span", { class: `state ${E.stateOf(s)}` }, E.stateOf(s)),
          el("span", { class: "meta" }, `baseline ${E.short(s.baseline)}`, s.experiment ? ` · ${s.experiment.id} · ${E.count(s.experiment.units)} units` : ""),
        ),
      ),
    );
  };

  /** An interval bar on a shared axis: the always-valid interval of the relative effect, its point, and 0. */
  function intervalBar(primary, axis) {
    const W = 160;
    const H = 18;
    const x = (v) => ((Math.max(axis[0], Math.min(axis[1], v)) - axis[0]) / (axis[1] - axis[0])) * W;
    const bar = E.svg("svg", { class: "interval", width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-low": primary.ci[0], "data-high": primary.ci[1] });
    bar.append(E.svg("line", { x1: x(0), x2: x(0), y1: 0, y2: H, stroke: "#9ca3af", "stroke-dasharray": "2,2" }));
    const colour = primary.verdict === "better" ? E.OUTCOME_COLOURS.committed : primary.verdict === "worse" ? E.OUTCOME_COLOURS.pulled : "#2563eb";
    bar.append(E.svg("line", { x1: x(primary.ci[0]), x2: x(primary.ci[1]), y1: H / 2, y2: H / 2, stroke: colour, "stroke-width": 4, "stroke-linecap": "round" }));
    bar.append(E.svg("circle", { cx: x(primary.effect), cy: H / 2, r: 4, fill: "#111827" }));
    bar.append(E.svg("title", {}, `${E.pct(primary.effect)} [${E.pct(primary.ci[0])}, ${E.pct(primary.ci[1])}]`));
    return bar;
  }

  /** The arms of a generation: weight, units, P(best), the primary KPI's effect with its interval, guardrails. */
  E.armsTable = function armsTable(rows) {
    const readings = rows.filter((r) => r.primary && Array.isArray(r.primary.ci));
    const finite = readings.flatMap((r) => r.primary.ci).filter(Number.isFinite);
    const axis = [Math.min(0, ...finite), Math.max(0, ...finite)];
    if (axis[1] - axis[0] < 1e-9) axis[1] = axis[0] + 0.01;
    const kpi = readings[0]?.primary.kpi ?? "primary KPI";
    const head = el("tr", {}, ["", "arm", "weight", "units", "P(best)", `${kpi} vs baseline`, "interval", "verdict", "guardrails"].map((h) => el("th", {}, h)));
    const body = rows.map((r) =>
      el("tr", { class: `arm ${r.role}${r.pulled ? " pulled" : ""}`, dataset: { version: r.version } },
        el("td", {}, el("i", { class: "swatch", style: `background:${E.armColour(r.index)}` })),
        el("td", { class: "version", title: r.mutations.map(E.mutation).join("\n") || "baseline" }, E.short(r.version), el("small", {}, r.role === "baseline" ? " baseline" : r.pulled ? " pulled" : "")),
        el("td", {}, E.share(r.weight)),
        el("td", {}, E.count(r.units)),
        el("td", {}, r.probabilityBest == null ? "—" : E.share(r.probabilityBest)),
        el("td", {}, r.primary ? `${E.pct(r.primary.effect)} [${E.pct(r.primary.ci[0])}, ${E.pct(r.primary.ci[1])}]` : r.role === "baseline" ? "reference" : "no data yet"),
        el("td", {}, r.primary ? intervalBar(r.primary, axis) : ""),
        el("td", { class: `verdict ${r.primary?.verdict ?? ""}` }, r.primary?.verdict ?? ""),
        el("td", { class: "guardrails" }, r.guardrails.map((g) => el("span", { class: g.breached || g.beyondTolerance ? "breach" : "ok", title: `tolerance ${E.pct(g.tolerance)}` }, `${g.kpi} ${E.pct(g.effect)}`))),
      ),
    );
    return el("table", { class: "arms" }, el("thead", {}, head), el("tbody", {}, body));
  };

  /** Each candidate within each segment, at the segment's alpha (decide/segments.ts); colours match the arms table's. */
  E.segmentsTable = function segmentsTable(segments, armRows) {
    if (!segments || segments.length === 0) return null;
    const indexOf = new Map((armRows || []).map((r) => [r.version, r.index]));
    const cell = (p) => (p && Array.isArray(p.ci) ? `${E.pct(p.effect)} [${E.pct(p.ci[0])}, ${E.pct(p.ci[1])}]` : "—");
    const rows = segments.flatMap((s) => [
      el("tr", { class: "segment-head" }, el("td", { colspan: 6 }, el("b", {}, s.segment), ` · baseline ${E.count(s.baselineUnits)} units · alpha ${E.num(s.alpha, 3)}`)),
      ...s.arms.map((a) =>
        el("tr", { class: "segment-arm", dataset: { segment: s.segment, version: a.arm } },
          el("td", {}, el("i", { class: "swatch", style: `background:${E.armColour(indexOf.get(a.arm) ?? 0)}` })),
          el("td", { class: "version" }, E.short(a.arm)),
          el("td", {}, E.count(a.units)),
          el("td", {}, cell(a.primary)),
          el("td", { class: `verdict ${a.primary?.verdict ?? ""}` }, a.primary?.verdict ?? ""),
          el("td", { class: "guardrails" }, (a.guardrails || []).map((g) => el("span", { class: g.beyondTolerance ? "breach" : "ok" }, `${g.kpi} ${E.pct(g.effect)}`))),
        ),
      ),
    ]);
    const kpi = segments.flatMap((s) => s.arms).find((a) => a.primary)?.primary.kpi ?? "primary KPI";
    return el("section", { id: "segments" }, el("h3", {}, "Per segment"), el("table", { class: "segments" }, el("thead", {}, el("tr", {}, ["", "arm", "units", `${kpi} vs baseline`, "verdict", "guardrails"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
  };

  /** One history entry in a line, with its evidence folded underneath. */
  function entryLine(entry) {
    const what =
      entry.kind === "version" ? `version ${E.short(entry.version.id)} proposed (g${entry.version.generation})${entry.version.mutations.length ? ": " + entry.version.mutations.map(E.mutation).join(", ") : ""}`
      : entry.kind === "transition" ? `${entry.experiment}: ${entry.from} → ${entry.to} — ${entry.reason}`
      : entry.kind === "arm_exit" ? `${entry.experiment}: ${E.short(entry.version)} ${entry.exit.replaceAll("_", " ")} — ${entry.reason}`
      : entry.kind === "baseline" ? `${entry.segment ? `segment ${entry.segment}'s baseline` : "baseline"} → ${E.short(entry.version)} (${entry.cause}) — ${entry.reason}`
      : entry.kind === "draft" ? `draft ${E.short(entry.version)} — ${entry.note}`
      : entry.kind === "side_effects" ? `side effects of ${E.short(entry.version)}: ${Object.entries(entry.counts).map(([k, n]) => `${k} ×${n}`).join(", ")}`
      : entry.kind;
    // A version's side effects fold their latest samples underneath, as decisions fold their evidence.
    const folded = entry.evidence ?? (entry.kind === "side_effects" ? entry.samples : undefined);
    const evidence = folded ? el("details", {}, el("summary", {}, entry.evidence ? "evidence" : "samples"), el("pre", {}, JSON.stringify(folded, null, 2))) : null;
    return el("li", { class: `entry ${entry.kind} ${entry.to ?? entry.cause ?? entry.exit ?? ""}` }, el("time", {}, E.time(entry.at)), " ", what, evidence);
  }

  const screenedOut = (e) => e.kind === "arm_exit" && e.exit === "rejected_in_screening";

  /** A generation's candidates rejected in screening, in one line that opens to each one. */
  function screeningLine(group) {
    const first = group[0];
    return el("li", { class: "entry screening" }, el("time", {}, E.time(first.at)), ` ${first.experiment}: ${group.length} candidate${group.length > 1 ? "s" : ""} rejected in screening`,
      el("details", {}, el("summary", {}, "which, and why"), el("ol", { class: "timeline" }, group.map(entryLine))));
  }

  /** The history, newest first (versions folded away unless asked for; screening rejects folded per generation). */
  E.timeline = function timeline(history, showVersions) {
    const entries = history.filter((e) => showVersions || e.kind !== "version").slice().reverse();
    const lines = [];
    for (let i = 0; i < entries.length && lines.length < 400; i++) {
      if (!screenedOut(entries[i])) {
        lines.push(entryLine(entries[i]));
        continue;
      }
      const group = [entries[i]];
      while (i + 1 < entries.length && screenedOut(entries[i + 1]) && entries[i + 1].experiment === entries[i].experiment) group.push(entries[++i]);
      lines.push(screeningLine(group));
    }
    return el("ol", { class: "timeline" }, lines, lines.length >= 400 ? el("li", {}, "… older entries: evolvd history <target>") : null);
  };

  /** A version's values and its changes against its parent and against the baseline. */
  E.versionPanel = function versionPanel(version, versions, baseline, outcome, actions) {
    if (!version) return el("p", { class: "empty" }, "click a version in the lineage graph to see its values and diffs");
    const parent = version.parent ? versions.get(version.parent) : null;
    const base = versions.get(baseline);
    const diffTable = (from, title) => {
      const changes = E.diff(from?.values, version.values);
      return el("div", {}, el("h4", {}, title), changes.length === 0 ? el("p", { class: "empty" }, "no change") : el("table", { class: "diff" }, el("tbody", {}, changes.map((c) => el("tr", {}, el("td", {}, c.path), el("td", { class: "from" }, E.value(c.from)), el("td", {}, "→"), el("td", { class: "to" }, E.value(c.to)))))));
    };
    return el("div", { id: "version", dataset: { version: version.id } },
      el("h3", {}, `Version ${E.short(version.id)}`, el("small", {}, ` ${outcome ?? ""} · generation ${version.generation}`)),
      el("p", { class: "mono" }, version.id),
      version.mutations.length ? el("ul", { class: "mutations" }, version.mutations.map((m) => el("li", {}, E.mutation(m)))) : null,
      parent ? diffTable(parent, `diff against its parent ${E.short(parent.id)}`) : null,
      base && base.id !== version.id ? diffTable(base, `diff against the baseline ${E.short(base.id)}`) : null,
      actions && version.id !== baseline ? el("button", { id: "rollback", class: `action${actions.armed === version.id ? " armed" : ""}`, onclick: () => actions.rollback(version.id) }, actions.armed === version.id ? `Click again to roll back to ${E.short(version.id)}` : `Roll back to ${E.short(version.id)}`) : null,
      el("details", {}, el("summary", {}, "values"), el("pre", {}, JSON.stringify(version.values, null, 2))),
    );
  };
})((window.evolvd = window.evolvd || {}));
