import { api, el, num, qty, shell, showError, clearError, ApiError } from "./api.js";

const $ = (id) => document.getElementById(id);
let catalog = null;
let last = null; // the last check's request body
// ?session=ID: the order is computed and stored for that session (/sessions/{id}/orders)
const SESSION = new URLSearchParams(location.search).get("session");

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
  $("protocol").addEventListener("change", fill);
  fill();
  $("order-form").addEventListener("submit", (ev) => { ev.preventDefault(); if (catalog) check(); });
  $("override-form").addEventListener("submit", (ev) => { ev.preventDefault(); sign(true); });
  $("sign-btn").addEventListener("click", () => sign(false));
  $("order-form").dataset.ready = "true";
}

function protocol() { return catalog.protocols.find((p) => p.id === $("protocol").value); }

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
  for (const id of ["refusal", "order-values", "limits", "override-form", "sign-card", "sign-msg"]) $(id).hidden = true;
}

async function check() {
  clearError(); reset();
  last = body();
  let r;
  const url = SESSION ? `/sessions/${SESSION}/orders/check` : "/ui/orders/check";
  try { r = await api(url, { method: "POST", body: SESSION ? sessionBody(last) : last }); } catch (e) { showError(e); return; }
  $("result-empty").hidden = true;
  if (r.order) showOrder(r);
  if (r.status === "refused") {
    $("refusal").hidden = false;
    $("refusal").replaceChildren(el("strong", {}, "Refused (hard limit): "), r.refusal.message,
      r.refusal.source ? el("span", { class: "src" }, ` Source: ${r.refusal.source}`) : "");
  } else if (r.status === "needs-override") {
    $("override-form").hidden = false;
    $("override-why").replaceChildren(el("strong", {}, "Soft limit: "), r.violations.filter((v) => v.severity === "soft").map((v) => v.message).join("; "),
      ". Give a reason and have a second clinician confirm with their password.");
    $("reason").focus();
  } else {
    $("sign-card").hidden = false;
  }
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
  const b = { ...last };
  if (withOverride) b.override = { reason: $("reason").value, second_username: $("second-user").value, second_password: $("second-pass").value };
  if (SESSION) { signSession(b); return; }
  try {
    const r = await api("/ui/orders/sign", { method: "POST", body: b });
    const o = r.order;
    $("sign-msg").hidden = false;
    $("sign-msg").textContent = `Order signed by ${r.signed_by}: ${qty(o.dose_mg, "mg")}` +
      (o.pump_rate_ml_per_h !== null ? ` at ${qty(o.pump_rate_ml_per_h, "mL/h")}` : "") +
      (o.override ? `; soft limit overridden (${o.overridden.map((v) => v.field).join(", ")}), second clinician ${o.override.second_clinician}, reason: ${o.override.reason}` : "") + ".";
    $("override-form").hidden = true; $("sign-card").hidden = true;
    $("second-pass").value = "";
  } catch (e) {
    $("second-pass").value = "";
    showError(e);
  }
}

// A session's order: weight and height come from the record, so only the choices are sent.
function sessionBody(b) {
  const { patient_id, weight_kg, ...rest } = b;
  return rest;
}

async function signSession(b) {
  try {
    const r = await api(`/sessions/${SESSION}/orders`, { method: "POST", body: sessionBody(b) });
    const o = r.result;
    $("sign-msg").hidden = false;
    $("sign-msg").textContent = `Order signed and stored for this session: ${qty(o.dose_mg, "mg")}` +
      (o.pump_rate_ml_per_h !== null ? ` at ${qty(o.pump_rate_ml_per_h, "mL/h")}` : "") +
      (r.override_reason ? `; soft limit overridden (${o.overridden.map((v) => v.field).join(", ")}), second clinician ${o.override.second_clinician}, reason: ${r.override_reason}` : "") + ".";
    $("override-form").hidden = true; $("sign-card").hidden = true;
    $("second-pass").value = "";
  } catch (e) {
    $("second-pass").value = "";
    showError(e);
  }
}
