// evolvd console: what the pages show, worked out from a target's history (and, when a daemon
// is asked, its live view). Pure functions of their arguments: the console and a report
// (evolvd report, simulate --report) draw from the same model.
"use strict";
(function (E) {
  const ENDS = new Set(["committed", "rolled_back", "inconclusive", "killed", "rejected"]);

  /**
   * Each generation of a history, oldest first: its experiment, arms (baseline first), where
   * it ended and why, and the evidence of its last decision (arms' readings, allocation).
   */
  E.generationsOf = function generationsOf(history) {
    const byId = new Map();
    for (const entry of history) {
      if (entry.kind !== "transition" && entry.kind !== "arm_exit") continue;
      let g = byId.get(entry.experiment);
      if (!g) {
        g = { experiment: entry.experiment, generation: entry.generation ?? 0, arms: [], proposed: [], status: "proposed", reason: "", startedAt: entry.at, endedAt: null, evidence: null, exits: [], transitions: [] };
        byId.set(entry.experiment, g);
      }
      if (entry.kind === "arm_exit") {
        g.exits.push(entry);
        if (entry.exit === "pulled" && entry.evidence) g.evidence = entry.evidence;
        continue;
      }
      g.transitions.push(entry);
      if (entry.from === "proposed" && entry.arms) g.proposed = entry.arms;
      if (entry.to === "canary" && entry.arms) g.arms = entry.arms;
      g.status = entry.to;
      g.reason = entry.reason;
      if (ENDS.has(entry.to)) g.endedAt = entry.at;
      if (entry.evidence && Array.isArray(entry.evidence.arms)) g.evidence = entry.evidence;
    }
    return [...byId.values()];
  };

  /** How each version ended up, from the history (and the live experiment's arms, if any). */
  E.outcomesOf = function outcomesOf(history, liveArms) {
    const outcome = new Map();
    const generations = new Map(E.generationsOf(history).map((g) => [g.experiment, g]));
    const set = (id, o) => id && outcome.set(id, o);
    for (const entry of history) {
      if (entry.kind === "version" && !outcome.has(entry.version.id)) set(entry.version.id, "proposed");
      else if (entry.kind === "draft") set(entry.version, "draft");
      else if (entry.kind === "arm_exit") set(entry.version, entry.exit === "pulled" ? "pulled" : "rejected");
      else if (entry.kind === "baseline") set(entry.version, entry.cause === "commit" ? "committed" : entry.cause === "rollback" ? "restored" : "anchor");
      else if (entry.kind === "transition" && (entry.to === "rolled_back" || entry.to === "inconclusive" || entry.to === "killed" || entry.to === "committed")) {
        const generation = generations.get(entry.experiment);
        for (const arm of (generation?.arms ?? []).slice(1)) {
          const now = outcome.get(arm);
          if (now === "pulled" || now === "committed") continue;
          set(arm, entry.to === "committed" ? "lost" : entry.to);
        }
      }
    }
    for (const arm of (liveArms || []).slice(1)) if (outcome.get(arm) !== "pulled") set(arm, "live");
    return outcome;
  };

  /** Every version of a history, by id, oldest first. */
  E.versionsOf = function versionsOf(history) {
    const versions = new Map();
    for (const entry of history) if (entry.kind === "version") versions.set(entry.version.id, entry.version);
    return versions;
  };

  /** The baseline's id after the history (the last baseline entry). */
  // The target's baseline: segment entries (per-segment baselines) move one segment's only.
  E.baselineOf = (history) => history.filter((e) => e.kind === "baseline" && e.segment === undefined).at(-1)?.version ?? null;

  /**
   * The baseline's primary KPI across generations: for each generation that reached live
   * traffic, the baseline arm's mean and the committed winner's (null when none won).
   */
  E.trajectoryOf = function trajectoryOf(generations) {
    const points = [];
    for (const g of generations) {
      const arms = g.evidence?.arms ?? [];
      const base = arms.find((a) => a.primary)?.primary;
      if (!base || !g.endedAt) continue;
      const winner = g.status === "committed" ? arms.find((a) => a.primary && a.primary.verdict === "better") : null;
      points.push({ generation: g.generation, status: g.status, kpi: base.kpi, baseline: base.controlMean, winner: winner ? winner.primary.treatmentMean : null });
    }
    return points;
  };

  /**
   * The arms of one generation as tables and plots show them, baseline first: from the live
   * view while it runs, else from its last decision's evidence.
   */
  E.armRows = function armRows(generation, live, versions) {
    if (live) {
      return live.arms.map((a, i) => ({ index: i, version: a.version, role: a.role, weight: a.weight, units: a.units, pulled: a.pulled, probabilityBest: a.probabilityBest, primary: a.primary, guardrails: a.guardrails || [], mutations: a.mutations || [] }));
    }
    const evidence = generation?.evidence;
    const ids = generation?.arms ?? [];
    const last = evidence?.allocation?.at(-1)?.weights ?? [];
    return ids.map((id, i) => {
      const reading = i === 0 ? null : (evidence?.arms ?? []).find((a) => a.arm === id);
      return { index: i, version: id, role: i === 0 ? "baseline" : "candidate", weight: last[i] ?? null, units: i === 0 ? (evidence?.baselineUnits ?? null) : (reading?.units ?? null), pulled: Boolean(reading?.pulled) || generation.exits.some((x) => x.version === id && x.exit === "pulled"), probabilityBest: null, primary: reading?.primary ?? null, guardrails: reading?.guardrails ?? [], mutations: versions.get(id)?.mutations ?? [] };
    });
  };

  /** The lineage graph: a node per version, placed by generation; an edge from each parent. */
  E.lineageOf = function lineageOf(history, liveArms) {
    const versions = E.versionsOf(history);
    const outcomes = E.outcomesOf(history, liveArms);
    const columns = new Map();
    for (const v of versions.values()) {
      const column = columns.get(v.generation) || [];
      column.push(v);
      columns.set(v.generation, column);
    }
    const nodes = [];
    const at = new Map();
    [...columns.keys()].sort((a, b) => a - b).forEach((generation, x) => {
      // The line of baselines keeps the top row to itself (an empty slot where a generation
      // moved nothing), so no other edge crosses it; live and drafted versions come next.
      const rank = (v) => ({ anchor: 0, committed: 0, restored: 0, live: 1, draft: 2 })[outcomes.get(v.id)] ?? 3;
      const column = columns.get(generation).sort((a, b) => rank(a) - rank(b));
      const skip = rank(column[0]) === 0 ? 0 : 1;
      column.forEach((v, i) => {
        const y = i + skip;
        const node = { id: v.id, generation, x, y, outcome: outcomes.get(v.id) || "proposed", mutations: v.mutations, parent: v.parent };
        nodes.push(node);
        at.set(v.id, node);
      });
    });
    const edges = nodes.filter((n) => n.parent && at.has(n.parent)).map((n) => ({ from: at.get(n.parent), to: n, mutations: n.mutations }));
    return { nodes, edges, baseline: E.baselineOf(history) };
  };
})((window.evolvd = window.evolvd || {}));
