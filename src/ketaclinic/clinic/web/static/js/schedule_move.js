// Moving a scheduled session to another time or chair from the Schedule page
// (POST /sessions/{id}/reschedule with If-Match; a clash is refused naming the chair and time).
import { api, el, token, utcMinute } from "./api.js";

const $ = (id) => document.getElementById(id);
let chosen = null;
if (token()) { // schedule.js runs the page shell
  document.addEventListener("move-session", (ev) => choose(ev.detail));
  $("move-form").addEventListener("submit", move);
  $("move-cancel").addEventListener("click", () => { choose(null); $("move-h").focus(); });
}

const utc = (iso) => `${utcMinute(iso)} UTC`;

function choose(detail) {
  chosen = detail && detail.session;
  $("move-form").hidden = !chosen;
  $("move-msg").textContent = "";
  if (!chosen) { $("move-which").textContent = "Choose “Move” on a scheduled session in the calendar."; return; }
  const at = new Date(chosen.scheduled_for).toISOString();
  $("move-which").textContent = `${chosen.patient}, ${utc(at)} in ${chosen.chair}`;
  $("move-at").value = at.slice(0, 16);
  $("move-chair").replaceChildren(...detail.chairs.map((c) => el("option", { value: c.id, selected: c.id === chosen.chair_id }, c.label)));
  $("move-at").focus();
}

async function move(ev) {
  ev.preventDefault();
  const button = $("move-form").querySelector("button[type=submit]");
  if (!chosen || button.disabled) return;
  button.disabled = true; // one request per press: a second would meet a stale If-Match
  try { await send(); } finally { button.disabled = false; }
}

async function send() {
  const at = $("move-at").value;
  const body = { scheduled_for: `${at.length === 16 ? `${at}:00` : at}Z`, chair_id: $("move-chair").value };
  const label = $("move-chair").selectedOptions[0].textContent;
  try {
    await api(`/sessions/${chosen.id}/reschedule`, { method: "POST", body, headers: { "If-Match": `"${chosen.version}"` } });
    const who = chosen.patient;
    choose(null);
    $("move-msg").textContent = `Moved ${who} to ${utc(body.scheduled_for)} in ${label}.`;
    const d = new Date(body.scheduled_for); d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    $("start").value = d.toISOString().slice(0, 10);
    document.dispatchEvent(new Event("schedule-changed"));
    $("move-msg").focus(); // the button that had focus is hidden now
  } catch (e) { $("move-msg").textContent = e.message; }
}
