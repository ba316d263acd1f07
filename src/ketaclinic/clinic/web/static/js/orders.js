import { api, day, el, hhmm, num, qty, shell, showError, clearError } from "./api.js";

const $ = (id) => document.getElementById(id);
let catalog = null;
let last = null; // the last check's request body
let lastTarget = null; // the session the last check was made for (null: a calculation only)
// ?session=ID: the order is computed and stored for that session (/sessions/{id}/orders).
// Without it, a chosen patient's scheduled or running session (listed soonest first) is
// where a signed order is stored; no patient, or a patient without such a session: the
// page calculates only (every signed order is stored on a session: no sign without one).
const SESSION = new URLSearchParams(location.search).get("session");
let sessions = []; // the chosen patient's sessions that can take an order
let sessionsLoaded = Promise.resolve();

if (shell()) init();

async function init() {
  // Enter before the catalogue has loaded says so instead of doing nothing.
  $("order-form").addEventListener("submit", () => { if (!catalog) showError("The protocol library is still loading; try again in a moment."); });
  try {
    const cat = await api("/ui/catalog");
    for (const p of cat.protocols) $("protocol").append(el("option", { value: p.id }, `${p.title} (v${p.version})`));
    if (cat.protocols.some((p) => p.id === "depression-iv-40min")) $("protocol").value = "depression-iv-40min";
    try {
      const pts = await api("/patients?limit=200");
      for (const p of pts.items) $("patient").append(el("option", { value: p.id }, `${p.family_name}, ${p.given_name} (${p.mrn})`));
    } catch (e) { /* a role without patient access still calculates by weight */ }
    catalog = cat;
  } catch (e) { showError(e); return; }
  const q = new URLSearchParams(location.search);
  if (q.get("patient")) $("patient").value = q.get("patient");
  $("protocol").addEventListener("change", () => { fill(); reset(); });
  $("patient").addEventListener("change", () => { sessionsLoaded = loadSessions(); });
  $("session").addEventListener("change", () => { pickSession(); reset(); });
  $("weight").addEventListener("input", reset);
  fill();
  if (SESSION) {
    $("patient").disabled = true; // the session's patient
    $("weight").disabled = true;
    $("target-note").textContent = "The signed order is stored on this session (weight and height from the patient's record).";
    try { $("patient").value = (await api(`/sessions/${SESSION}`)).patient_id; } catch (e) { showError(e); }
  } else {
    sessionsLoaded = loadSessions();
  }
  $("order-form").addEventListener("submit", (ev) => { ev.preventDefault(); if (catalog) check(); });
  $("override-form").addEventListener("submit", (ev) => { ev.preventDefault(); sign(true); });
  $("sign-btn").addEventListener("click", () => sign(false));
  $("order-form").dataset.ready = "true";
}

function protocol() { return catalog.protocols.find((p) => p.id === $("protocol").value); }

const sessionLabel = (s) => `${day(s.scheduled_for)} ${hhmm(s.scheduled_for)}, ${s.chair}, ${s.status === "in_progress" ? "in progress" : "scheduled"}` +
  (s.protocol_id ? ` (${s.protocol_id})` : "");

/** The chosen patient's sessions that can take an order (or none: a calculation only). */
async function loadSessions() {
  reset();
  sessions = [];
  const pid = $("patient").value;
  $("session").replaceChildren();
  let list = [];
  if (pid) {
    try { list = await api(`/ui/patients/${pid}/orderable-sessions`); } catch (e) { showError(e); }
    if ($("patient").value !== pid) return; // another patient was chosen meanwhile
  }
  sessions = list;
  $("session").replaceChildren(...sessions.map((s) => el("option", { value: s.id }, sessionLabel(s))));
  $("session-pick").hidden = !sessions.length;
  pickSession();
}

function chosenSession() { return sessions.find((s) => s.id === $("session").value) || null; }

/** Show where a signed order goes; a course's session fixes the protocol, the record the weight. */
function pickSession() {
  const s = chosenSession();
  const note = $("target-note");
  $("protocol").disabled = Boolean(s && s.protocol_id);
  if (s && s.protocol_id && $("protocol").value !== s.protocol_id) { $("protocol").value = s.protocol_id; fill(); }
  $("weight").disabled = Boolean(s);
  if (s) $("weight").value = "";
  if (s) {
    note.replaceChildren("Signing stores the order on the chosen session" + (s.protocol_id ? " (its course's protocol" : " (") +
      "; weight and height from the patient's record).");
  } else if ($("patient").value) {
    note.replaceChildren("This patient has no scheduled or running session: the page calculates, but signing needs a booked session. ",
      el("a", { href: "/schedule" }, "Book a session on the schedule"), ".");
  } else {
    note.replaceChildren("Calculation only: no patient chosen, so nothing can be signed or stored.");
  }
}

/** Where the order is signed and stored: ?session=ID or the chosen patient's session. */
function target() { return SESSION || (chosenSession() ? chosenSession().id : null); }

function fill() {
  const p = protocol();
  $("protocol-info").textContent = `${p.drug}, ${p.route}; ${p.indication}`;
  $("dose-unit").textContent = `(${p.dose_unit})`;
  $("dose").replaceChildren(...p.standard_doses.map((d) => el("option", { value: d }, `${num(d)} ${p.dose_unit}`)));
  $("conc").replaceChildren(...(p.concentrations_mg_per_ml.length ? p.concentrations_mg_per_ml.map((c) => el("option", { value: c }, `${num(c)} mg/mL`)) : [el("option", { value: "" }, "not applicable")]));
  $("duration").value = p.default_duration_min ?? "";
  $("duration").disabled = p.route !== "iv-infusion";
  $("conc").disabled = !p.concentrations_mg_per_ml.length;
}

function body() {
  const p = protocol();
  const b = { protocol_id: p.id };
  if ($("patient").value) b.patient_id = $("patient").value;
  if ($("weight").value) b.weight_kg = Number($("weight").value);
  const dose = $("dose-custom").value ? Number($("dose-custom").value) : Number($("dose").value);
  b[p.dose_unit === "mg/kg" ? "dose_mg_per_kg" : "dose_mg"] = dose;
  if (p.route === "iv-infusion" && $("duration").value) b.duration_min = Number($("duration").value);
  if ($("conc").value) b.concentration_mg_per_ml = Number($("conc").value);
  return b;
}

function reset() {
  for (const id of ["refusal", "no-sign", "order-values", "limits", "override-form", "sign-card", "sign-msg"]) $(id).hidden = true;
  lastTarget = null;
}

async function check() {
  await sessionsLoaded;
  clearError(); reset();
  last = body();
  const to = target();
  let r;
  const url = to ? `/sessions/${to}/orders/check` : "/ui/orders/check";
  try { r = await api(url, { method: "POST", body: to ? sessionBody(last) : last }); } catch (e) { showError(e); return; }
  lastTarget = to;
  $("result-empty").hidden = true;
  if (r.order) showOrder(r);
  if (r.status === "refused") {
    $("refusal").hidden = false;
    $("refusal").replaceChildren(el("strong", {}, "Refused (hard limit): "), r.refusal.message,
      r.refusal.source ? el("span", { class: "src" }, ` Source: ${r.refusal.source}`) : "");
  } else if (!to) {
    noSign(r);
  } else if (r.status === "needs-override") {
    $("override-form").hidden = false;
    $("override-why").replaceChildren(el("strong", {}, "Soft limit: "), r.violations.filter((v) => v.severity === "soft").map((v) => v.message).join("; "),
      ". Give a reason and have a second clinician confirm with their password.");
    $("reason").focus();
  } else {
    $("sign-card").hidden = false;
  }
}

/** A calculation that cannot be signed here: say so, and why (no patient, or no session). */
function noSign(r) {
  const soft = r.violations.filter((v) => v.severity === "soft").map((v) => v.message);
  const why = $("patient").value
    ? ["Not signed: signing needs a booked session of this patient. ", el("a", { href: "/schedule" }, "Book one on the schedule"), "."]
    : ["Not an order: no patient chosen, nothing is signed or stored."];
  $("no-sign").replaceChildren(el("strong", {}, "Calculation only. "), ...why,
    soft.length ? el("p", {}, el("strong", {}, "Soft limit: "), soft.join("; "), ". Signing it would need a reason and a second clinician.") : "");
  $("no-sign").hidden = false;
}

function showOrder(r) {
  const o = r.order;
  const rows = [["Dose", qty(o.dose_mg, "mg")],
    ["Dose per kg", o.dose_mg_per_kg === null ? "–" : qty(o.dose_mg_per_kg, "mg/kg", 3)],
    ["Dosing weight", `${qty(o.weight.weight_kg, "kg", 1)} (${o.weight.basis_used})`]];
  if (o.volume_ml !== null) rows.push(["Volume", qty(o.volume_ml, "mL")]);
  if (o.concentration_mg_per_ml !== null) rows.push(["Concentration", qty(o.concentration_mg_per_ml, "mg/mL")]);
  if (o.pump_rate_ml_per_h !== null) rows.push(["Pump rate", qty(o.pump_rate_ml_per_h, "mL/h")]);
  if (o.rate_mg_per_h !== null) rows.push(["Rate", `${qty(o.rate_mg_per_h, "mg/h")} (${qty(o.rate_mg_per_kg_per_h, "mg/kg/h", 3)})`]);
  if (o.duration_min !== null) rows.push(["Duration", qty(o.duration_min, "min")]);
  if (o.devices.length) rows.push(["Devices", o.devices.map((d) => `#${d.index} ${qty(d.mg, "mg")} at ${qty(d.time_min, "min")}`).join(", ")]);
  if (o.monitoring_until_min !== null) rows.push(["Monitor until", `${qty(o.monitoring_until_min, "min")} after the first device`]);
  if (r.patient && r.patient.name) rows.unshift(["Patient", `${r.patient.name} (${r.patient.mrn})`]);
  else if ($("patient").value) rows.unshift(["Patient", $("patient").selectedOptions[0].textContent]);
  if (!SESSION && chosenSession()) rows.splice(1, 0, ["Session", sessionLabel(chosenSession())]);
  $("order-values").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("order-values").hidden = false;
  const vals = { weight_kg: o.weight.actual_kg, dose_mg_per_kg: o.dose_mg_per_kg, dose_mg: o.dose_mg,
    rate_mg_per_kg_per_h: o.rate_mg_per_kg_per_h, rate_mg_per_h: o.rate_mg_per_h, duration_min: o.duration_min,
    device_interval_min: o.device_interval_min, monitoring_min: o.monitoring_until_min === null ? null : o.monitoring_until_min - o.end_min };
  const bad = new Map(r.violations.map((v) => [`${v.field}:${v.severity}_${v.side}`, v]));
  const tb = $("limits").querySelector("tbody");
  tb.replaceChildren();
  for (const [field, spec] of Object.entries(r.protocol.limits)) {
    const cells = ["hard_min", "soft_min", "soft_max", "hard_max"].map((k) => {
      const b = spec[k];
      const v = bad.get(`${field}:${k}`);
      return el("td", { class: v ? `breach ${k.split("_")[0]}` : "", title: b ? `${b.basis}: ${b.source}` : "" },
        b ? `${num(b.value, 3)}${b.basis === "unverified" ? " (unverified)" : ""}` : "–", v ? el("span", { class: "sr-only" }, " breached") : "");
    });
    tb.append(el("tr", {}, el("th", { scope: "row" }, `${field} (${spec.unit})`), el("td", {}, vals[field] === null || vals[field] === undefined ? "–" : num(vals[field], 3)), ...cells));
  }
  $("limits").hidden = false;
}

async function sign(withOverride) {
  clearError();
  if (!lastTarget) { showError("Calculate the order for a session first: only an order for a session is signed."); return; }
  const b = { ...last };
  if (withOverride) b.override = { reason: $("reason").value, second_username: $("second-user").value, second_password: $("second-pass").value };
  signSession(lastTarget, b);
}

// A session's order: weight and height come from the record, so only the choices are sent.
function sessionBody(b) {
  const { patient_id, weight_kg, ...rest } = b;
  return rest;
}

async function signSession(sid, b) {
  try {
    const r = await api(`/sessions/${sid}/orders`, { method: "POST", body: sessionBody(b) });
    const o = r.result;
    const s = SESSION ? null : sessions.find((x) => x.id === sid);
    $("sign-msg").hidden = false;
    $("sign-msg").replaceChildren("Order signed and stored " +
      (s ? `on the session of ${sessionLabel(s)}` : "for this session") + `: ${qty(o.dose_mg, "mg")}` +
      (o.pump_rate_ml_per_h !== null ? ` at ${qty(o.pump_rate_ml_per_h, "mL/h")}` : "") +
      (r.override_reason ? `; soft limit overridden (${o.overridden.map((v) => v.field).join(", ")}), second clinician ${o.override.second_clinician}, reason: ${r.override_reason}` : "") + ". ",
      el("a", { href: `/sessions/${sid}` }, "Open the session"));
    $("override-form").hidden = true; $("sign-card").hidden = true;
    $("second-pass").value = "";
  } catch (e) {
    $("second-pass").value = "";
    showError(e);
  }
}
