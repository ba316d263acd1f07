// The session monitor's pre-session checklist (core API: /sessions/{id}/checklist,
// /sessions/{id}/checklist/overrides). A nurse records items; a prescriber overrides.
import { api, currentUser, el, hhmm } from "./api.js";

const $ = (id) => document.getElementById(id);
const SID = $("session-root").dataset.sessionId;
const STATE = { met: "met", unmet: "not met", overridden: "overridden", not_applicable: "not applicable" };

init();

async function init() {
  $("ck-fasting-form").addEventListener("submit", (e) => send(e, {
    item: "fasting",
    last_food_at: hoursAgo($("ck-food-h").value),
    last_liquid_at: hoursAgo($("ck-liquid-h").value),
  }));
  $("ck-escort-form").addEventListener("submit", (e) => send(e, {
    item: "escort", escort_name: $("ck-escort-name").value.trim(), escort_phone: $("ck-escort-phone").value.trim(),
  }));
  $("ck-rems-form").addEventListener("submit", (e) => send(e, {
    item: "rems", rems_patient_id: $("ck-rems-id").value.trim(), rems_enrolled_on: $("ck-rems-date").value,
  }));
  $("ck-override-form").addEventListener("submit", override);
  const user = currentUser();
  show("ck-override-form", !!(user && user.role === "prescriber"));
  await refresh();
  setInterval(refresh, 15000);
}

// (.inline-form[hidden] in app.css keeps the attribute stronger than the form's display)
function show(id, on) { $(id).hidden = !on; }

function hoursAgo(h) { return new Date(Date.now() - Number(h) * 3600e3).toISOString(); }

async function refresh() {
  try { draw(await api(`/sessions/${SID}/checklist`)); } catch (e) { $("ck-msg").textContent = e.message; }
}

function draw(ck) {
  $("ck-summary").textContent = ck.complete ? "complete" : `${ck.unmet.length} item(s) not met`;
  show("ck-rems-form", ck.esketamine);
  $("ck-items").replaceChildren(...ck.items.map((i) => el("li", { "data-item": i.item, "data-state": i.state },
    el("strong", {}, `${i.label}: ${STATE[i.state] || i.state}`), ` — ${i.detail}`,
    i.recorded_by ? ` (by ${i.recorded_by} ${hhmm(i.recorded_at)})` : "",
    i.override ? ` — override by ${i.override.by}: ${i.override.reason}` : "",
    el("br"), el("small", { class: "muted" }, i.source))));
  const sel = $("ck-ov-item");
  const keep = sel.value;
  sel.replaceChildren(...ck.items.filter((i) => i.overridable && i.state === "unmet")
    .map((i) => el("option", { value: i.item }, i.label)));
  if (keep) sel.value = keep;
}

async function send(ev, body) {
  ev.preventDefault();
  try {
    draw(await api(`/sessions/${SID}/checklist`, { method: "POST", body }));
    $("ck-msg").textContent = "Checklist item recorded.";
    ev.target.reset();
  } catch (e) { $("ck-msg").textContent = e.message; }
}

async function override(ev) {
  ev.preventDefault();
  const body = { item: $("ck-ov-item").value, reason: $("ck-ov-reason").value.trim() };
  try {
    draw(await api(`/sessions/${SID}/checklist/overrides`, { method: "POST", body }));
    $("ck-msg").textContent = "Override recorded with its reason.";
    ev.target.reset();
  } catch (e) { $("ck-msg").textContent = e.message; }
}
