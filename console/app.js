// evolvd console: the page. Picks its source (a report's embedded data, or the daemon with the
// admin token kept for the tab), draws the target list and a target's page, follows the event
// stream, and sends the operator's actions.
"use strict";
(function (E) {
  const { el } = E;
  const $ = (selector) => document.querySelector(selector);
  const TOKEN_KEY = "evolvd.token";
  const state = { source: null, stop: null, summaries: [], selected: null, detail: null, history: [], generation: null, follow: true, version: null, armed: null, showVersions: false, shownHistory: -1, historyOf: null };

  function showError(message) {
    const box = $("#error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  /** Nothing of the daemon's is on the page while it waits for a token. */
  function askToken(message) {
    if (state.stop) state.stop();
    state.stop = null;
    $("#app").hidden = true;
    $("#targets").replaceChildren();
    $("#target").replaceChildren();
    $("#token-form").hidden = false;
    const error = $("#token-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("#token").focus();
  }

  function failed(error) {
    if (error instanceof E.AuthError) return askToken(sessionStorage.getItem(TOKEN_KEY) ? `the daemon refused this token (${error.status}): ${error.message}` : "");
    showError(`${error.message || error}`);
  }

  async function start(source) {
    state.source = source;
    state.summaries = await source.targets();
    $("#token-form").hidden = true;
    $("#app").hidden = false;
    $("#source").textContent = source.describe();
    const wanted = decodeURIComponent(location.hash.slice(1));
    const first = state.summaries.find((s) => s.target === wanted) ?? state.summaries[0];
    renderList();
    if (first) await select(first.target);
    state.stop = source.stream(onSummaries, onStreamState);
  }

  function renderList() {
    E.renderTargets($("#targets"), state.summaries, state.selected, (target) => select(target).catch(failed));
  }

  async function select(target) {
    state.selected = target;
    state.generation = null;
    state.follow = true;
    state.version = null;
    state.shownHistory = -1;
    if (!state.source.readOnly) history.replaceState(null, "", `#${encodeURIComponent(target)}`);
    renderList();
    $("#target").replaceChildren(skeleton());
    await refresh();
  }

  /** The parts of a target's page; refresh() fills them, so a form being typed in survives updates. */
  function skeleton() {
    const actions = !state.source.readOnly;
    const button = (id, label, run) => el("button", { id, class: `action ${id}`, type: "button", hidden: true, onclick: () => act(run) }, label);
    return el("div", {},
      el("div", { class: "heading" }, el("h2", { id: "name" }), el("span", { class: "state", id: "target-state" }), actions ? [button("kill", "Kill switch", "kill"), button("pause", "Pause", "pause"), button("resume", "Resume", "resume")] : null),
      el("p", { id: "summary", class: "muted" }),
      el("p", { id: "action-result", class: "muted" }),
      el("section", {}, el("h3", {}, "Experiment ", el("select", { id: "generation", onchange: (event) => pickGeneration(event.target.value) })), el("div", { id: "experiment-meta", class: "muted" }), el("div", { id: "arms" }), el("div", { id: "segments-box" })),
      el("div", { class: "plots" }, el("section", {}, el("div", { id: "allocation-plot", class: "plot" })), el("section", {}, el("div", { id: "trajectory-plot", class: "plot" }))),
      el("section", {}, el("h3", {}, "Lineage of versions"), el("div", { id: "lineage" })),
      el("section", { id: "version-box" }),
      actions ? proposeForm() : null,
      el("section", {}, el("h3", {}, "History ", el("label", { class: "muted" }, el("input", { type: "checkbox", id: "show-versions", onchange: (event) => ((state.showVersions = event.target.checked), (state.shownHistory = -1), render()) }), " show proposed versions")), el("div", { id: "history" })),
    );
  }

  function proposeForm() {
    const submit = async (event) => {
      event.preventDefault();
      let values;
      try {
        values = JSON.parse($("#propose-values").value);
      } catch (error) {
        return ($("#propose-result").textContent = `not JSON: ${error.message}`);
      }
      await act("propose", values, $("#propose-note").value || "console");
    };
    return el("section", { id: "propose-box" }, el("h3", {}, "Propose a candidate"),
      el("form", { id: "propose", onsubmit: submit },
        el("p", { class: "muted" }, "Its values, in full (the baseline's to start with). It is screened and joins the next generation as a draft."),
        el("textarea", { id: "propose-values", rows: 10, spellcheck: "false" }),
        el("label", {}, "Note ", el("input", { id: "propose-note", placeholder: "why this candidate" })),
        el("button", { type: "submit", class: "action" }, "Propose"),
        el("span", { id: "propose-result", class: "muted" })));
  }

  let refreshing = null;
  let again = false;
  let againHistory = false;
  /**
   * Fetches the selected target's view again, and its history too unless `onlyView` (units
   * and weights move on every batch of events; the history only when something is decided).
   * Calls that arrive meanwhile fold into one more.
   */
  async function refresh(onlyView = false) {
    againHistory = againHistory || !onlyView;
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        const withHistory = againHistory || state.historyOf !== state.selected;
        againHistory = false;
        const target = state.selected;
        const [detail, history] = await Promise.all([state.source.detail(target), withHistory ? state.source.history(target) : null]);
        if (target !== state.selected) continue;
        state.detail = detail;
        if (withHistory) {
          state.history = history || [];
          state.historyOf = target;
        }
        render();
      } while (again);
    })().finally(() => (refreshing = null));
    return refreshing;
  }

  function pickGeneration(value) {
    state.generation = value;
    state.follow = Boolean(state.detail?.experiment && value === state.detail.experiment.id);
    render();
  }

  function render() {
    const summary = state.summaries.find((s) => s.target === state.selected);
    const detail = state.detail;
    const live = detail?.experiment ?? null;
    const generations = E.generationsOf(state.history);
    const versions = E.versionsOf(state.history);
    const baseline = detail?.baseline?.version ?? E.baselineOf(state.history) ?? summary?.baseline;
    const word = summary ? E.stateOf(summary) : "idle";

    $("#name").textContent = state.selected;
    const badge = $("#target-state");
    badge.textContent = word;
    badge.className = `state ${word}`;
    if (!state.source.readOnly) {
      $("#kill").hidden = word === "killed";
      $("#pause").hidden = !(live && live.paused.length === 0);
      $("#resume").hidden = !(word === "killed" || word === "paused");
    }
    $("#summary").textContent = [detail?.description, `baseline ${E.short(baseline)}`, `${versions.size} versions`, `${generations.length} generations`, summary?.drafts ? `${summary.drafts} drafts waiting` : ""].filter(Boolean).join(" · ");

    // Generation picker: the live experiment (followed as it changes) or any earlier one.
    if (state.follow || !state.generation) state.generation = live?.id ?? generations.at(-1)?.experiment ?? null;
    const picker = $("#generation");
    picker.replaceChildren(...generations.slice().reverse().map((g) => el("option", { value: g.experiment, selected: g.experiment === state.generation }, `${g.experiment} · g${g.generation} · ${live && g.experiment === live.id ? "live" : g.status}`)));
    if (live && !generations.some((g) => g.experiment === live.id)) picker.prepend(el("option", { value: live.id, selected: live.id === state.generation }, `${live.id} · live`));
    const generation = generations.find((g) => g.experiment === state.generation) ?? null;
    const isLive = Boolean(live && state.generation === live.id);
    const rows = E.armRows(generation, isLive ? live : null, versions);
    const meta = isLive
      ? `${live.status}${live.paused.length ? ` (paused: ${live.paused.join(", ")})` : ""}${live.status === "canary" ? ` · canary step ${live.canaryStep + 1}` : ""} · started ${E.time(live.startedAt)} · last analysis ${E.time(live.analyzedAt)}`
      : generation ? `${generation.status} — ${generation.reason} · ${E.time(generation.startedAt)} → ${E.time(generation.endedAt)}` : "no experiment yet";
    $("#experiment-meta").textContent = meta;
    $("#arms").replaceChildren(rows.length ? E.armsTable(rows) : el("p", { class: "empty" }, "no arms"));
    // Per segment: the live view's last tick, or how the segments read at the generation's decision.
    $("#segments-box").replaceChildren(E.segmentsTable(isLive ? detail.segments : generation?.evidence?.segments, rows) ?? "");

    const periods = isLive ? live.periods : generation?.evidence?.allocation;
    const endAt = isLive ? (live.analyzedAt ?? periods?.at(-1)?.from) : (generation?.endedAt ?? generation?.evidence?.at);
    E.allocationPlot($("#allocation-plot"), periods, endAt, rows.map((r) => ({ label: `${E.short(r.version)}${r.role === "baseline" ? " (baseline)" : ""}` })));
    E.trajectoryPlot($("#trajectory-plot"), E.trajectoryOf(generations));

    const lineage = E.lineageOf(state.history, live ? live.arms.map((a) => a.version) : []);
    if (baseline) lineage.baseline = baseline;
    E.lineageGraph($("#lineage"), lineage, (id) => ((state.version = id), render()), state.version);
    const outcomes = new Map(lineage.nodes.map((n) => [n.id, n.outcome]));
    const chosen = versions.get(state.version);
    $("#version-box").replaceChildren(E.versionPanel(chosen, versions, baseline, outcomes.get(state.version), state.source.readOnly ? null : { rollback: confirmRollback, armed: state.armed && state.armed.version }));

    const values = $("#propose-values");
    if (values && !values.value && detail?.baseline) values.value = JSON.stringify(detail.baseline.values, null, 2);
    // The timeline is drawn again only when the history grew, so open evidence stays open.
    if (state.shownHistory !== state.history.length) {
      state.shownHistory = state.history.length;
      $("#history").replaceChildren(E.timeline(state.history, state.showVersions));
    }
  }

  /** A rollback moves what every user is served: the button asks for a second click within 5 s. */
  function confirmRollback(version) {
    if (state.armed && state.armed.version === version && Date.now() < state.armed.until) {
      state.armed = null;
      return void act("rollback", version);
    }
    state.armed = { version, until: Date.now() + 5000 };
    render();
    setTimeout(() => state.armed && Date.now() >= state.armed.until && ((state.armed = null), render()), 5100);
  }

  async function act(name, ...args) {
    const out = name === "propose" ? $("#propose-result") : $("#action-result");
    out.textContent = `${name}…`;
    try {
      const answer = await state.source[name](state.selected, ...args);
      out.textContent = name === "propose" ? `drafted ${E.short(answer.version)}: ${answer.changes.map(E.mutation).join(", ") || "no change"}` : name === "rollback" ? `baseline is now ${E.short(answer.baseline)}` : `${name}: done`;
      state.summaries = await state.source.targets();
      renderList();
      await refresh();
    } catch (error) {
      if (error instanceof E.AuthError) return failed(error);
      out.textContent = `${name} refused: ${error.message}`;
    }
  }

  let lastSelected = "";
  let lastDecided = "";
  function onSummaries(summaries) {
    state.summaries = summaries;
    renderList();
    const summary = summaries.find((s) => s.target === state.selected) ?? null;
    const now = JSON.stringify(summary);
    // The history grows only at an analysis tick or an operator's action: units and weights
    // (which move with every batch of events) do not make it worth reading again.
    const decided = JSON.stringify(summary && { ...summary, experiment: summary.experiment && { ...summary.experiment, units: undefined, weights: undefined } });
    if (state.selected && now !== lastSelected) refresh(decided === lastDecided).catch(failed);
    lastSelected = now;
    lastDecided = decided;
    if (!state.selected && summaries[0]) select(summaries[0].target).catch(failed);
  }

  function onStreamState(word) {
    $("#stream").textContent = word === "live" ? "● live updates" : word === "reconnecting" ? "○ reconnecting…" : word;
    if (word === "unauthorized") askToken("the daemon no longer accepts this token");
  }

  function boot() {
    const embedded = document.getElementById("evolvd-report");
    if (embedded) return start(E.reportSource(JSON.parse(embedded.textContent))).catch(failed);
    $("#token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("#token").value);
      start(E.liveSource($("#token").value)).catch(failed);
    });
    start(E.liveSource(sessionStorage.getItem(TOKEN_KEY) || "")).catch(failed);
  }
  boot();
})((window.evolvd = window.evolvd || {}));
