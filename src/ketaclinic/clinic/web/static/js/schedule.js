import { api, el, shell, showError, clearError, utcMinute } from "./api.js";

const $ = (id) => document.getElementById(id);
// The page works in UTC, as its forms do: days are UTC days, so times are UTC times too.
const hhmm = (iso) => utcMinute(iso).slice(11);
let latest = 0; // a slower, older answer (the page's first week) must not replace a newer one
if (shell()) {
  const d = new Date(); d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  if (!$("start").value) $("start").value = d.toISOString().slice(0, 10); // keep a typed or restored week
  $("week").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  document.addEventListener("schedule-changed", load); // a move (schedule_move.js)
  load();
}

async function load() {
  const mine = ++latest;
  let d;
  try { d = await api(`/ui/schedule?start=${$("start").value}&days=7`); clearError(); } catch (e) { if (mine === latest) showError(e); return; }
  if (mine !== latest) return;
  const days = [...Array(d.days).keys()].map((i) => { const x = new Date(`${d.start}T00:00:00Z`); x.setUTCDate(x.getUTCDate() + i); return x; });
  const key = (x) => x.toISOString().slice(0, 10);
  const head = el("tr", {}, el("th", { scope: "col" }, "Chair"), ...days.map((x) => el("th", { scope: "col" },
    x.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }))));
  const rows = d.chairs.map((c) => el("tr", {}, el("th", { scope: "row" }, c.label), ...days.map((x) => {
    const here = d.sessions.filter((s) => s.chair === c.label && s.scheduled_for.slice(0, 10) === key(x));
    return el("td", {}, ...here.map((s) => el("div", {}, `${hhmm(s.scheduled_for)} `, el("a", { href: `/sessions/${s.id}` }, s.patient),
      s.status === "cancelled" ? " (cancelled)" : "",
      s.status === "scheduled" ? [" ", el("button", { type: "button", class: "cal-move", "aria-label": `Move ${s.patient}, ${hhmm(s.scheduled_for)} in ${c.label}`,
        onclick: () => document.dispatchEvent(new CustomEvent("move-session", { detail: { session: s, chairs: d.chairs } })) }, "Move")] : null)));
  })));
  const cap = el("tr", {}, el("th", { scope: "row" }, "Sessions / chairs"), ...days.map((x) => {
    const n = d.sessions.filter((s) => s.scheduled_for.slice(0, 10) === key(x) && s.status !== "cancelled").length;
    return el("td", { class: `cap${n >= d.chairs.length * 3 ? " full" : ""}` }, `${n} sessions, ${d.chairs.length} chairs`);
  }));
  $("calendar").replaceChildren(el("caption", { class: "sr-only" }, "Sessions per chair and day"), el("thead", {}, head), el("tbody", {}, ...rows, cap));
}
