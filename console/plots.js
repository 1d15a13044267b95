// evolvd console: the plots, drawn with uPlot (served by the daemon, inlined in reports).
"use strict";
(function (E) {
  const width = (container) => Math.max(320, Math.min(900, container.clientWidth || 640));
  const plots = new WeakMap();

  /** Replaces the plot in `container` (uPlot draws on a canvas; an old one is destroyed). */
  function draw(container, options, data) {
    plots.get(container)?.destroy();
    container.replaceChildren();
    const plot = new uPlot({ width: width(container), height: 220, ...options }, data, container);
    plots.set(container, plot);
    return plot;
  }

  /**
   * Traffic share of each arm over time: a step per allocation period (canary steps, bandit
   * reallocations, pulls), up to `endAt` (the last analysis, or the decision).
   */
  E.allocationPlot = function allocationPlot(container, periods, endAt, arms) {
    if (!periods || periods.length === 0) {
      container.replaceChildren(E.el("p", { class: "empty" }, "no allocation yet"));
      return null;
    }
    const xs = periods.map((p) => p.from / 1000);
    const end = Math.max(xs[xs.length - 1] + 1, (endAt ?? 0) / 1000);
    xs.push(end);
    const series = arms.map((arm, i) => {
      const ys = periods.map((p) => p.weights[i] ?? 0);
      ys.push(ys[ys.length - 1]);
      return ys;
    });
    const stepped = uPlot.paths.stepped({ align: 1 });
    // Arms often share a weight (the canary's equal shares): each candidate gets its own dash, so
    // lines lying on each other still show both.
    const DASHES = [undefined, [8, 4], [3, 3], [12, 3, 3, 3], [6, 2, 2, 2]];
    return draw(
      container,
      {
        title: "Allocation over time",
        scales: { y: { range: [0, 1] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) }],
        series: [{}, ...arms.map((arm, i) => ({ label: arm.label, stroke: E.armColour(i), width: 2, dash: i === 0 ? undefined : DASHES[1 + ((i - 1) % (DASHES.length - 1))], paths: stepped, points: { show: false }, value: (_u, v) => (v == null ? "—" : E.share(v)) }))],
      },
      [xs, ...series],
    );
  };

  /** The baseline's primary KPI at each decided generation, and the winner's where one was committed. */
  E.trajectoryPlot = function trajectoryPlot(container, points) {
    if (!points || points.length === 0) {
      container.replaceChildren(E.el("p", { class: "empty" }, "no decided generation yet"));
      return null;
    }
    const kpi = points[0].kpi;
    return draw(
      container,
      {
        title: `Baseline ${kpi} across generations`,
        scales: { x: { time: false } },
        axes: [{ label: "generation", values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? `g${t}` : "")) }, { size: 70 }],
        series: [
          { label: "generation", value: (_u, v) => (v == null ? "—" : `g${v}`) },
          { label: `baseline ${kpi}`, stroke: E.armColour(0), width: 2, points: { show: true, size: 6 }, value: (_u, v) => E.num(v) },
          { label: "committed winner", stroke: E.OUTCOME_COLOURS.committed, width: 0, paths: () => null, points: { show: true, size: 9, fill: E.OUTCOME_COLOURS.committed }, value: (_u, v) => E.num(v) },
        ],
      },
      [points.map((p) => p.generation), points.map((p) => p.baseline), points.map((p) => p.winner)],
    );
  };
})((window.evolvd = window.evolvd || {}));
