// The session monitor's order, administration record, MOAA/S scores and adverse events
// (core API: /sessions/{id}/orders, /administrations, /scores, /adverse-events, /prediction).
import { api, el, hhmm, num, qty } from "./api.js";

const $ = (id) => document.getElementById(id);
const SID = $("session-root").dataset.sessionId;
let order = null, adm = null;
// A refresh started earlier (the 15-s one, say) whose answers arrive after those of a later
// one (after a score was recorded) must not redraw the older state over the newer one.
let refreshes = 0, drawn = 0;

init();

async function init() {
  $("med-order-link").href = `/orders?session=${SID}`;
  $("adm-start-form").addEventListener("submit", startAdm);
  $("adm-change-form").addEventListener("submit", changeRate);
  $("adm-stop-form").addEventListener("submit", stopAdm);
  $("moaas-form").addEventListener("submit", addMoaas);
  $("ae-form").addEventListener("submit", addAe);
  document.addEventListener("ketaclinic:scores-changed", refresh); // a CADSS-6 was recorded
  await refresh();
  setInterval(refresh, 15000);
}

const nowIso = () => new Date().toISOString();

async function refresh() {
  const mine = ++refreshes;
  try {
    const [orders, adms, scores, aes] = await Promise.all([
      api(`/sessions/${SID}/orders`), api(`/sessions/${SID}/administrations`),
      api(`/sessions/${SID}/scores`), api(`/sessions/${SID}/adverse-events`)]);
    if (mine < drawn) return;
    drawn = mine;
    order = orders.length ? orders[orders.length - 1] : null;
    adm = order ? adms.find((a) => a.order_id === order.id) || null : null;
    drawOrder();
    $("scores-log").replaceChildren(...scores.slice().reverse().map((s) =>
      el("li", {}, `${hhmm(s.measured_at)} ${s.scale === "moaas" ? "MOAA/S" : "CADSS-6"} ${s.total}`)));
    $("ae-log").replaceChildren(...aes.slice().reverse().map((a) =>
      el("li", {}, `${hhmm(a.onset_at)} ${a.event_type}: ${a.severity}${a.serious ? ", serious" : ""}; action ${a.action_taken.replace(/_/g, " ")}; ${a.outcome.replace(/_/g, " ")}`)));
    await drawPrediction();
  } catch (e) { $("adm-msg").textContent = e.message; }
}

function drawOrder() {
  if (!order) return;
  const o = order;
  $("med-order").textContent = `Signed order: ${qty(o.dose_mg, "mg")} ${o.route}` +
    (o.rate_mg_per_h !== null ? ` at up to ${qty(o.rate_mg_per_h, "mg/h")}` : "") +
    (o.duration_min !== null ? ` over ${qty(o.duration_min, "min")}` : "") +
    ` (${o.protocol_id} v${o.protocol_version})` + (o.override_reason ? `; override: ${o.override_reason}` : "") + ".";
  const infusion = o.route === "iv-infusion";
  $("adm-start-form").hidden = adm !== null;
  if (!adm && infusion && !$("adm-rate").value) {
    $("adm-rate").value = o.rate_mg_per_h;
    if (o.result.pump_rate_ml_per_h !== null) $("adm-rate-ml").value = num(o.result.pump_rate_ml_per_h, 2);
  }
  $("adm-rate").disabled = !infusion; $("adm-rate-ml").disabled = !infusion;
  const running = adm !== null && adm.stopped_at === null;
  $("adm-change-form").hidden = !(running && infusion);
  $("adm-stop-form").hidden = !running;
  const log = [];
  if (adm) {
    log.push(`${hhmm(adm.started_at)} started, lot ${adm.lot_number}`);
    for (const r of adm.rates) log.push(`${hhmm(r.at)} rate ${qty(r.rate_mg_per_h, "mg/h")}${r.rate_ml_per_h !== null ? ` (${qty(r.rate_ml_per_h, "mL/h")})` : ""}`);
    if (adm.stopped_at) log.push(`${hhmm(adm.stopped_at)} stopped, ${qty(adm.amount_given_mg, "mg")} given`);
  }
  $("adm-log").replaceChildren(...log.map((t) => el("li", {}, t)));
}

async function drawPrediction() {
  if (!order) { $("med-prediction").textContent = ""; return; }
  try {
    const p = await api(`/sessions/${SID}/prediction`);
    $("med-prediction").textContent = `Predicted plasma concentration now ${qty(p.plasma_now_ng_per_ml, "ng/mL", 0)}, ` +
      `at the end of administration ${qty(p.plasma_end_ng_per_ml, "ng/mL", 0)} (${p.assumed ? "signed order, assumed to start now" : "from the administration record"}; ` +
      `model ${p.model.id} v${p.model.version}, ${p.model.citation}).`;
  } catch (e) { $("med-prediction").textContent = e.message; }
}

function numOrNull(id) { return $(id).value === "" ? null : Number($(id).value); }

async function post(path, body, msgId, headers = {}) {
  try {
    await api(path, { method: "POST", body, headers });
    $(msgId).textContent = "Saved.";
    await refresh();
    return true;
  } catch (e) { $(msgId).textContent = e.message; return false; }
}

async function startAdm(ev) {
  ev.preventDefault();
  const b = { order_id: order.id, lot_number: $("adm-lot").value, started_at: nowIso() };
  if (order.route === "iv-infusion") { b.rate_mg_per_h = numOrNull("adm-rate"); b.rate_ml_per_h = numOrNull("adm-rate-ml"); }
  if (await post(`/sessions/${SID}/administrations`, b, "adm-msg")) $("adm-msg").textContent = "Administration started.";
}

async function changeRate(ev) {
  ev.preventDefault();
  const b = { at: nowIso(), rate_mg_per_h: numOrNull("adm-new-rate"), rate_ml_per_h: numOrNull("adm-new-rate-ml") };
  if (await post(`/administrations/${adm.id}/rate`, b, "adm-msg", { "If-Match": `"${adm.version}"` })) $("adm-msg").textContent = "Rate changed.";
}

async function stopAdm(ev) {
  ev.preventDefault();
  const b = { stopped_at: nowIso(), amount_given_mg: numOrNull("adm-amount") };
  if (await post(`/administrations/${adm.id}/stop`, b, "adm-msg", { "If-Match": `"${adm.version}"` })) $("adm-msg").textContent = "Administration stopped.";
}

async function addMoaas(ev) {
  ev.preventDefault();
  const b = { scale: "moaas", measured_at: nowIso(), moaas: Number($("moaas-score").value) };
  if (await post(`/sessions/${SID}/scores`, b, "scores-msg")) $("scores-msg").textContent = `MOAA/S ${b.moaas} recorded.`;
}

async function addAe(ev) {
  ev.preventDefault();
  const b = { event_type: $("ae-type").value, severity: $("ae-severity").value, serious: $("ae-serious").checked,
    action_taken: $("ae-action").value, outcome: $("ae-outcome").value, onset_at: nowIso() };
  if ($("ae-link").checked && adm) b.administration_id = adm.id;
  if (await post(`/sessions/${SID}/adverse-events`, b, "ae-msg")) $("ae-msg").textContent = `Adverse event recorded: ${b.event_type}.`;
}
