// Ferry's status page, live: each running session on the page listens to its Server-Sent Events
// (GET /v1/sessions/{id}/events; the sign-in cookie authenticates it) and fills the parts the
// server rendered, in the same formats as app/ui/views.py.
"use strict";

(function () {
  const ENDED = new Set(["completed", "completed_with_errors", "failed", "cancelled"]);
  // Browsers open at most 6 HTTP/1.1 connections to a host: a list page listens to a few
  // running sessions only, leaving room for the page's own requests.
  const MAX_STREAMS = 4;

  function part(root, name) {
    return root.querySelector('[data-part="' + name + '"]');
  }

  function setText(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  function percentText(percent) {
    return percent === null || percent === undefined ? "—" : percent.toFixed(1) + " %";
  }

  function durationText(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " s";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function momentText(iso) {
    return new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function etaText(session) {
    if (ENDED.has(session.status)) return "";
    if (session.paused_until) return "paused until " + momentText(session.paused_until);
    if (!session.eta) return "ETA unknown";
    const seconds = (Date.parse(session.eta) - Date.now()) / 1000;
    return seconds < 1 ? "any moment now" : "about " + durationText(seconds) + " left";
  }

  function countsText(progress) {
    const text = (progress.extracted || 0) + " read · " + (progress.loaded || 0) + " written";
    return progress.total === null || progress.total === undefined ? text : text + " of " + progress.total;
  }

  // The service gives one ETA per session; per entity the page estimates one from the rate it
  // has watched since it opened.
  function entityEta(watch, name, percent, ended) {
    if (percent !== null && percent !== undefined && percent >= 100) return "done";
    if (ended || percent === null || percent === undefined) return "";
    const now = Date.now();
    const first = watch[name];
    if (!first) {
      watch[name] = { at: now, percent: percent };
      return "";
    }
    if (percent <= first.percent || now <= first.at) return "";
    const rate = (percent - first.percent) / (now - first.at);
    return "about " + durationText((100 - percent) / rate / 1000) + " left";
  }

  function applySession(root, session, watch) {
    const ended = ENDED.has(session.status);
    const status = part(root, "status");
    if (status && session.status) {
      status.dataset.status = session.status;
      setText(status, session.status.replace(/_/g, " "));
    }
    if ("phase" in session) setText(part(root, "phase"), session.phase || "");
    if ("percent" in session) {
      const bar = part(root, "overall-bar");
      if (bar) bar.value = session.percent || 0;
      setText(part(root, "overall-percent"), percentText(session.percent));
    }
    if ("eta" in session) setText(part(root, "overall-eta"), etaText(session));
    if ("tokens_spent" in session) setText(part(root, "tokens"), String(session.tokens_spent));
    const progress = session.progress || {};
    for (const name of Object.keys(progress)) {
      const row = root.querySelector('tr[data-entity="' + CSS.escape(name) + '"]');
      if (row) applyEntity(row, name, progress[name], watch, ended);
    }
  }

  function applyEntity(row, name, progress, watch, ended) {
    const bar = part(row, "bar");
    if (bar) bar.value = progress.percent || 0;
    setText(part(row, "percent"), percentText(progress.percent));
    setText(part(row, "counts"), countsText(progress));
    setText(part(row, "eta"), entityEta(watch, name, progress.percent, ended));
    for (const key of ["created", "updated", "matched", "skipped", "failed"]) {
      setText(part(row, key), String(progress[key] || 0));
    }
  }

  function addWarning(root, data) {
    const list = part(root, "warnings");
    if (!list) return;
    const text = typeof data === "string" ? data : data.warning || data.message || "";
    if (!text) return;
    const item = document.createElement("li");
    item.textContent = text; // text, never HTML: a warning may quote a source's field name
    list.appendChild(item);
    const none = part(root, "no-warnings");
    if (none) none.hidden = true;
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (_) {
      return null;
    }
  }

  // Once a session has ended, its page is fetched again and swapped in: errors, warnings,
  // deliveries and the buttons that now apply, without a reload.
  async function refreshMain() {
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const main = fresh.querySelector("main");
    if (!main) return;
    document.querySelector("main").replaceChildren(...main.childNodes);
    start(document);
  }

  function listen(root) {
    const watch = {};
    const source = new EventSource(root.dataset.events);
    root.dataset.listening = "true";
    const onUpdate = function (event) {
      const data = parse(event);
      if (data) applySession(root, data, watch);
    };
    source.addEventListener("progress", onUpdate);
    source.addEventListener("phase", onUpdate);
    source.addEventListener("warning", function (event) {
      const data = parse(event);
      if (data !== null) addWarning(root, data);
    });
    source.addEventListener("end", function (event) {
      source.close();
      const data = parse(event);
      const session = data && data.session ? data.session : data;
      if (session) applySession(root, session, watch);
      root.dataset.listening = "ended";
      if ("refreshOnEnd" in root.dataset) refreshMain();
    });
    source.addEventListener("error", function () {
      // The browser retries a dropped stream by itself; a refused one (signed out) is closed.
      if (source.readyState === EventSource.CLOSED) {
        root.dataset.listening = "stopped";
        setText(part(root, "overall-eta"), "live updates stopped: reload the page");
      }
    });
  }

  function start(scope) {
    const live = scope.querySelectorAll("[data-session][data-events]:not([data-listening])");
    Array.prototype.slice.call(live, 0, MAX_STREAMS).forEach(listen);
  }

  document.addEventListener("DOMContentLoaded", function () {
    start(document);
  });
})();
