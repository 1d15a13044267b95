// evolvd console: where the data comes from. Live: the daemon's admin API and its event stream,
// with the admin token (kept for the tab); a report: the JSON embedded in the page.
"use strict";
(function (E) {
  class AuthError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  E.AuthError = AuthError;

  /** The daemon that served this page. Every call sends the token when there is one. */
  E.liveSource = function liveSource(token) {
    let role = "admin";
    const headers = (extra) => ({ ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra });
    async function call(path, init) {
      const response = await fetch(path, { ...init, headers: headers(init && init.body ? { "Content-Type": "application/json" } : {}) });
      const body = await response.json().catch(() => ({}));
      // A viewer token reads only: the daemon says so, and the page offers no action.
      if (response.headers.get("X-Evolvd-Role")) role = response.headers.get("X-Evolvd-Role");
      if (response.status === 401 || response.status === 403) throw new AuthError(response.status, body.errorDetails || body.message || "the admin token is required");
      if (!response.ok) throw new Error(body.message || body.errorDetails || `${response.status} ${response.statusText}`);
      return body;
    }
    const post = (path, body) => call(path, { method: "POST", body: JSON.stringify(body || {}) });
    const t = encodeURIComponent;
    return {
      get readOnly() {
        return role === "viewer";
      },
      describe: () => `live · ${location.host}${role === "viewer" ? " · read-only (viewer token)" : ""}`,
      targets: async () => (await call("/v1/console/summaries")).targets,
      detail: (target) => call(`/v1/targets/${t(target)}`),
      history: async (target) => (await call(`/v1/targets/${t(target)}/history`).catch((e) => (e instanceof AuthError ? Promise.reject(e) : { history: [] }))).history,
      kill: (target) => post(`/v1/targets/${t(target)}/kill`, { reason: "console" }),
      pause: (target) => post(`/v1/targets/${t(target)}/pause`, { reason: "console" }),
      resume: (target) => post(`/v1/targets/${t(target)}/resume`, {}),
      rollback: (target, version) => post(`/v1/targets/${t(target)}/rollback`, { version, reason: "console rollback" }),
      propose: (target, values, note) => post(`/v1/targets/${t(target)}/candidates`, { values, note }),
      /** Reads the server-sent events with fetch (EventSource cannot send a token); reconnects after a failure. */
      stream(onTargets, onState) {
        let stopped = false;
        let controller = null;
        (async function loop() {
          while (!stopped) {
            controller = new AbortController();
            try {
              const response = await fetch("/v1/console/stream", { headers: headers({ Accept: "text/event-stream" }), signal: controller.signal });
              if (response.status === 401 || response.status === 403) throw new AuthError(response.status, "the admin token is required");
              if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
              onState("live");
              const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
              let buffer = "";
              for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                buffer += value;
                let end;
                while ((end = buffer.indexOf("\n\n")) >= 0) {
                  const block = buffer.slice(0, end);
                  buffer = buffer.slice(end + 2);
                  const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
                  if (/^event: targets$/m.test(block) && data) onTargets(JSON.parse(data).targets);
                }
              }
              if (!stopped) onState("reconnecting");
            } catch (error) {
              if (stopped) return;
              if (error instanceof AuthError) return onState("unauthorized");
              onState("reconnecting");
            }
            await new Promise((done) => setTimeout(done, 2000));
          }
        })();
        return () => {
          stopped = true;
          controller && controller.abort();
        };
      },
    };
  };

  /** A report: everything was read when it was written; nothing can be changed from it. */
  E.reportSource = function reportSource(report) {
    const find = (target) => report.targets.find((t) => t.summary.target === target);
    return {
      readOnly: true,
      describe: () => `report · ${report.source} · written ${E.time(report.generatedAt)}`,
      targets: async () => report.targets.map((t) => t.summary),
      detail: async (target) => find(target)?.detail ?? null,
      history: async (target) => find(target)?.history ?? [],
      stream: () => () => {},
    };
  };
})((window.evolvd = window.evolvd || {}));
