import { api, el, hhmm, num, shell, showError, clearError, statusLabel } from "./api.js";

const $ = (id) => document.getElementById(id);
const seen = new Set();
let first = true;

if (shell()) { refresh(); setInterval(refresh, 5000); }

function badge(s) {
  const cls = s.startsWith("ready") ? "ready" : s;
  return el("span", { class: `badge ${cls}` }, s);
}

async function refresh() {
  let d;
  try { d = await api("/ui/dashboard"); clearError(); } catch (e) { showError(e); return; }
  $("updated").textContent = hhmm(d.server_now);
  $("updated").setAttribute("datetime", d.server_now);
  // alerts, by priority
  const alerts = d.alerts || [];
  $("alerts").replaceChildren(...alerts.map((a) => el("li", { class: a.priority },
    el("span", { class: `prio ${a.priority}` }, a.priority),
    el("span", { class: "msg" }, `${a.chair} · ${a.patient}: ${a.message}`),
    el("time", { datetime: a.raised_at }, hhmm(a.raised_at)),
    a.cleared ? el("span", { class: "meta" }, "condition cleared, not acknowledged") : "",
    el("a", { href: `/sessions/${a.session_id}` }, "Open session"))));
  $("no-alerts").hidden = alerts.length > 0 || d.alerts === null;
  // the server lists the most urgent open alerts and counts all of them by priority
  const c = d.alert_counts, total = c ? c.high + c.medium + c.low : alerts.length;
  $("alerts-h").textContent = total > alerts.length
    ? `Open alerts: the ${alerts.length} most urgent of ${total} (${c.high} high, ${c.medium} medium, ${c.low} low)` : "Open alerts";
  if (d.alerts === null) { $("no-alerts").hidden = false; $("no-alerts").textContent = "Your role does not see clinical alerts."; }
  const fresh = alerts.filter((a) => !seen.has(a.id));
  fresh.forEach((a) => seen.add(a.id));
  if (!first && fresh.length) $("alerts-live").textContent = fresh.map((a) => `New ${a.priority} priority alert, ${a.chair}: ${a.message}`).join(". ");
  first = false;
  // chairs
  $("chairs").replaceChildren(...d.chairs.map((c) => {
    const s = c.session;
    const high = s && s.open_alerts.high + s.open_alerts.medium > 0;
    return el("li", { class: s ? `busy${high ? " alarm" : ""}` : "" },
      el("div", { class: "chair-name" }, c.label),
      s ? [el("div", {}, el("a", { href: `/sessions/${s.id}` }, s.patient)), el("div", {}, badge(s.live_status), " ", el("span", { class: "meta" }, `${num(s.elapsed_min, 0)} min`))]
        : el("div", { class: "muted" }, "free"));
  }));
  // sessions
  $("sessions").querySelector("tbody").replaceChildren(...d.sessions.map((s) => {
    const n = s.open_alerts.high + s.open_alerts.medium + s.open_alerts.low;
    return el("tr", {},
      el("td", {}, hhmm(s.started_at || s.scheduled_for)),
      el("td", {}, el("a", { href: `/sessions/${s.id}` }, s.patient), el("div", { class: "meta" }, s.mrn)),
      el("td", {}, s.chair),
      el("td", {}, s.status === "in_progress" ? badge(s.live_status) : statusLabel(s.status)),
      el("td", {}, hhmm(s.last_reading_at)),
      el("td", { class: n ? "out" : "" }, n ? `${n} open` : "none"));
  }));
}
