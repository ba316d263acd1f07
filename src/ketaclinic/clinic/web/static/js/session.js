import { api, el, hhmm, hhmmss, num, qty, duration, shell, showError, clearError, statusLabel } from "./api.js";
import { lineChart } from "./chart.js";
import { concentrationChart } from "./pkplot.js";

const $ = (id) => document.getElementById(id);
const SID = $("session-root").dataset.sessionId;
const POLL_MS = 1000;
const VITALS = [
  { key: "bp", title: "Blood pressure", unit: "mmHg", fields: [["sbp_mmhg", "systolic", "s-sbp"], ["dbp_mmhg", "diastolic", "s-dbp"]], y: [40, 220] },
  { key: "hr", title: "Heart rate", unit: "/min", fields: [["hr_per_min", "heart rate", "s-hr"]], y: [30, 160] },
  { key: "spo2", title: "SpO₂", unit: "%", fields: [["spo2_pct", "SpO₂", "s-spo2"]], y: [80, 100] },
  { key: "rr", title: "Respiratory rate", unit: "/min", fields: [["rr_per_min", "resp. rate", "s-rr"]], y: [0, 35] },
];
const TILES = [["BP", (r) => r.sbp_mmhg === null ? null : `${num(r.sbp_mmhg, 0)}/${num(r.dbp_mmhg, 0)}`, "mmHg", ["sbp_mmhg", "dbp_mmhg"]],
  ["HR", (r) => num(r.hr_per_min, 0), "/min", ["hr_per_min"]], ["SpO₂", (r) => num(r.spo2_pct, 0), "%", ["spo2_pct"]],
  ["RR", (r) => num(r.rr_per_min, 0), "/min", ["rr_per_min"]], ["Temp", (r) => num(r.temp_c, 1), "°C", ["temp_c"]]];

let ov = null, offsetMs = 0, readings = [], alerts = [], readingsSig = null, alertsSig = null;
const announced = new Set();
let firstAlerts = true;
const protocolId = () => new URLSearchParams(location.search).get("protocol") || "depression-iv-40min";
const now = () => new Date(Date.now() + offsetMs);

if (shell()) init();

async function init() {
  await loadOverview();
  try {
    const cat = await api("/ui/catalog");
    $("protocol-select").replaceChildren(...cat.protocols.map((p) => el("option", { value: p.id }, p.title)));
    $("protocol-select").value = protocolId();
  } catch (e) { showError(e); }
  $("protocol-select").addEventListener("change", () => {
    const q = new URLSearchParams(location.search); q.set("protocol", $("protocol-select").value);
    history.replaceState(null, "", `?${q}`); loadOverview(); checkDischarge();
  });
  $("start-btn").addEventListener("click", start);
  $("manual-form").addEventListener("submit", manual);
  $("discharge-form").addEventListener("change", checkDischarge);
  $("discharge-form").addEventListener("submit", discharge);
  poll();
  setInterval(poll, POLL_MS);
  setInterval(tick, 1000);
  setInterval(drawPk, 15000);
  setInterval(refreshRules, 15000); // an admin's rule-set edit reaches the lines without a reload
  setInterval(checkDischarge, 10000);
}

async function loadOverview() {
  try {
    ov = await api(`/ui/sessions/${SID}/overview?protocol_id=${encodeURIComponent(protocolId())}`);
  } catch (e) { showError(e); return; }
  offsetMs = new Date(ov.server_now) - Date.now();
  const p = ov.patient;
  $("patient-name").textContent = `${p.name}`;
  document.title = `${p.name} · ${ov.chair.label} · ketaclinic`;
  $("chair").textContent = ov.chair.label;
  $("status").textContent = statusLabel(ov.session.status);
  $("mrn").textContent = p.mrn;
  $("weight").textContent = qty(p.weight_kg, "kg", 1);
  $("start-btn").hidden = ov.session.status !== "scheduled";
  $("discharge-btn").disabled = ov.session.status !== "in_progress";
  const plan = ov.plan;
  const o = plan.order;
  $("plan-text").textContent = o
    ? `${plan.protocol.title}: ${qty(o.dose_mg, "mg")}${o.pump_rate_ml_per_h !== null ? ` at ${qty(o.pump_rate_ml_per_h, "mL/h")}` : ""}` +
      `${o.duration_min ? ` over ${qty(o.duration_min, "min")}` : ""}, from the session start. ` +
      (plan.assumed ? "Assumed from the protocol's standard dose and the latest weight: the service stores no signed order yet." : "")
    : (plan.refusal ? `No prediction: ${plan.refusal.message}` : "No prediction: no weight on record.");
  if (plan.model) $("plan-text").textContent = `Signed order: ${qty(o.dose_mg, "mg")}; prediction from the administration record (model ${plan.model.id} v${plan.model.version}, ${plan.model.citation}).`;
  $("rule-set-id").textContent = ov.rule_set.id;
  drawPk();
  tick();
}

// The thresholds new readings are evaluated against (the session protocol's current rule set).
async function refreshRules() {
  if (!ov) return;
  try {
    const r = await api(`/ui/sessions/${SID}/rule-set`);
    const sig = (x) => JSON.stringify([x.rule_set.id, x.thresholds]);
    if (sig(r) === sig(ov)) return;
    ov.rule_set = r.rule_set; ov.thresholds = r.thresholds;
    $("rule-set-id").textContent = r.rule_set.id;
    drawVitals();
  } catch (e) { showError(e); }
}

function elapsedMin() {
  if (!ov || !ov.session.started_at) return null;
  const end = ov.session.ended_at ? new Date(ov.session.ended_at) : now();
  return (end - new Date(ov.session.started_at)) / 60000;
}

function drawPk() {
  if (!ov || !ov.plan.prediction) return;
  const sim = ov.plan.prediction;
  const e = elapsedMin();
  concentrationChart($("pk-chart"), sim, { bands: ov.bands, nowMin: e, title: "Predicted plasma and effect-site concentration", height: 260 });
  let cap = "Typical-patient prediction with the literature bands.";
  if (e !== null) {
    const t = sim.time_min; let i = t.findIndex((x) => x >= e); if (i < 0) i = t.length - 1;
    cap = `Now (${num(e, 0)} min): predicted plasma ${qty(sim.plasma_ng_per_ml[i], "ng/mL", 0)}. ` + cap;
  }
  $("pk-caption").textContent = cap;
  $("statement").textContent = sim.statement;
}

function tick() {
  if (!ov) return;
  const e = elapsedMin();
  const end = ov.plan.end_min;
  if (e === null) $("t-elapsed").textContent = "not started";
  else if (end !== undefined && end !== null && e > end && end > 0) $("t-elapsed").textContent = `done (${num(end, 0)} min); ${duration(e)} since start`;
  else $("t-elapsed").textContent = `${duration(e)}${end ? ` of ${num(end, 0)} min` : ""}`;
  if (!ov.session.started_at) $("t-left").textContent = "–";
  else if (ov.monitoring_until) {
    const left = (new Date(ov.monitoring_until) - now()) / 60000;
    $("t-left").textContent = left > 0 ? duration(left) : "minimum time met";
  } else $("t-left").textContent = "no sourced minimum (set per protocol)";
}

// An answer older than one already drawn is dropped (it would bring back a cleared alert
// for a second). Not "only the latest request": on a slow server every poll would be
// overtaken by the next and nothing would ever be drawn.
let polls = 0, drawnPoll = 0;

async function poll() {
  const mine = ++polls;
  try {
    const [r, a] = await Promise.all([api(`/sessions/${SID}/readings`), api(`/sessions/${SID}/alerts`)]);
    if (mine < drawnPoll) return;
    drawnPoll = mine;
    clearError();
    const rs = `${r.length}:${r.length ? r[r.length - 1].id : ""}`;
    if (rs !== readingsSig) { readingsSig = rs; readings = r; drawVitals(); checkDischarge(); }
    const as = a.map((x) => `${x.id}:${x.acknowledged_at}:${x.cleared_at}`).join("|");
    if (as !== alertsSig) { const changed = alertsSig !== null; alertsSig = as; alerts = a; drawAlerts(); if (changed) refreshRules(); }
  } catch (e) { showError(e); }
}

function breaching(field, value) {
  if (value === null || value === undefined || !ov) return null;
  return ov.thresholds.find((t) => t.field === field && (t.direction === "above" ? value > t.limit || (t.code.includes(">=") && value >= t.limit) : value < t.limit || (t.code.includes("<=") && value <= t.limit))) || null;
}

function drawVitals() {
  const last = readings[readings.length - 1];
  $("vitals-meta").textContent = last ? `· ${readings.length} readings, latest ${hhmmss(last.measured_at)}` : "· no readings yet";
  $("latest").replaceChildren(...(last ? TILES.filter(([, , , fields]) => last[fields[0]] !== null).map(([k, f, u, fields]) => {
    const bad = fields.map((x) => breaching(x, last[x])).find(Boolean);
    return el("div", { class: `${bad ? "out" : ""}${k === "BP" ? " wide" : ""}` }, el("div", { class: "k" }, k), el("span", { class: "v" }, f(last) ?? "–"), el("span", { class: "u" }, u),
      bad ? el("div", { class: "meta" }, `outside ${bad.code}`) : "");
  }) : [el("p", { class: "muted" }, "Waiting for the chair monitor…")]));
  const t0 = ov && ov.session.started_at ? new Date(ov.session.started_at) : (readings[0] ? new Date(readings[0].measured_at) : now());
  const xs = readings.map((r) => (new Date(r.measured_at) - t0) / 60000);
  const xmax = Math.max(30, ...xs, elapsedMin() || 0);
  const grid = el("div", { class: "vitals-grid" });
  $("vitals-chart").replaceChildren(grid);
  for (const v of VITALS) {
    const box = el("div", {});
    grid.append(el("div", {}, el("h3", {}, `${v.title} (${v.unit})`), box));
    const series = v.fields.map(([f, label, cls]) => ({ label, cls, dots: true, points: readings.map((r, i) => [xs[i], r[f]]) }));
    const hl = ov ? ov.thresholds.filter((t) => v.fields.some(([f]) => f === t.field)).map((t) => ({ y: t.limit, label: t.code, cls: t.priority, side: t.direction })) : [];
    const vals = series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => y !== null);
    lineChart(box, { title: `${v.title} over time`, desc: vals.length ? `Latest ${v.title}: ${vals[vals.length - 1]} ${v.unit}` : "no readings", height: 160,
      x: { min: 0, max: xmax, label: "min since start", format: (x) => num(x, 0) },
      y: { min: Math.min(v.y[0], ...vals), max: Math.max(v.y[1], ...vals), format: (x) => num(x, 0) },
      series, hlines: hl, legend: v.fields.length > 1 });
  }
  $("readings").querySelector("tbody").replaceChildren(...readings.slice().reverse().map((r) => el("tr", {},
    el("td", {}, hhmmss(r.measured_at)),
    cell(r.sbp_mmhg === null ? "–" : `${num(r.sbp_mmhg, 0)}/${num(r.dbp_mmhg, 0)}`, breaching("sbp_mmhg", r.sbp_mmhg) || breaching("dbp_mmhg", r.dbp_mmhg)),
    cell(num(r.hr_per_min, 0), breaching("hr_per_min", r.hr_per_min)),
    cell(num(r.spo2_pct, 0), breaching("spo2_pct", r.spo2_pct)),
    cell(num(r.rr_per_min, 0), breaching("rr_per_min", r.rr_per_min)),
    el("td", { class: "num" }, num(r.temp_c, 1)),
    el("td", {}, r.source))));
}

function cell(text, bad) { return el("td", { class: `num${bad ? " out" : ""}`, title: bad ? `outside ${bad.code}` : null }, text, bad ? el("span", { class: "sr-only" }, ` (outside ${bad.code})`) : ""); }

function drawAlerts() {
  const order = { high: 0, medium: 1, low: 2 };
  const list = alerts.slice().sort((a, b) => (!!a.acknowledged_at - !!b.acknowledged_at) || (order[a.priority] - order[b.priority]) || (new Date(b.raised_at) - new Date(a.raised_at)));
  $("no-alerts").hidden = list.length > 0;
  $("alerts").replaceChildren(...list.map((a) => el("li", { class: `${a.priority}${a.acknowledged_at ? " acked" : ""}`, "data-alert-id": a.id },
    el("span", { class: `prio ${a.priority}` }, a.priority),
    el("span", { class: "msg" }, a.message),
    el("time", { datetime: a.raised_at }, hhmmss(a.raised_at)),
    a.cleared_at ? el("span", { class: "meta" }, "cleared") : el("span", { class: "meta" }, "active"),
    a.acknowledged_at ? el("span", { class: "meta" }, `acknowledged ${hhmmss(a.acknowledged_at)}`)
      : el("button", { type: "button", onclick: () => ack(a.id), "aria-label": `Acknowledge ${a.priority} priority alert: ${a.message}` }, "Acknowledge"))));
  const fresh = alerts.filter((a) => !announced.has(a.id));
  fresh.forEach((a) => announced.add(a.id));
  if (!firstAlerts && fresh.length) $("alerts-live").textContent = fresh.map((a) => `New ${a.priority} priority alert: ${a.message}`).join(". ");
  firstAlerts = false;
}

async function ack(id) {
  try { await api(`/alerts/${id}/ack`, { method: "POST" }); await poll(); } catch (e) { showError(e); }
}

async function start() {
  try { await api(`/sessions/${SID}/start`, { method: "POST", headers: { "If-Match": `"${ov.session.version}"` } }); await loadOverview(); } catch (e) { showError(e); }
}

async function manual(ev) {
  ev.preventDefault();
  const f = ev.target;
  const body = { measured_at: now().toISOString() };
  for (const k of ["sbp_mmhg", "dbp_mmhg", "hr_per_min", "spo2_pct", "rr_per_min"]) if (f[k].value !== "") body[k] = Number(f[k].value);
  try {
    const r = await api(`/sessions/${SID}/readings`, { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } });
    $("manual-msg").textContent = `Saved at ${hhmmss(r.measured_at)}${r.alerts.length ? `; ${r.alerts.length} alert(s) raised` : ""}.`;
    f.reset(); await poll();
  } catch (e) { $("manual-msg").textContent = e.message; }
}

function dischargeBody() {
  const f = $("discharge-form");
  const names = ["activity", "respiration", "circulation", "consciousness", "oxygen_saturation"];
  const al = names.map((n) => f[n].value);
  const body = { protocol_id: protocolId(), escort_confirmed: f.escort_confirmed.checked, sign: f.sign.checked };
  if (al.every((v) => v !== "")) body.aldrete = Object.fromEntries(names.map((n, i) => [n, Number(al[i])]));
  if (f.moaas.value !== "") body.moaas = Number(f.moaas.value);
  return body;
}

const LABELS = { "minimum-monitoring-time": "Minimum monitoring time", "vitals-within-limits": "Vital signs within limits",
  "modified-aldrete": "Modified Aldrete ≥ 9", "sedation-resolved": "Sedation resolved", "escort-confirmed": "Escort confirmed",
  "clinician-signature": "Clinician signature", "session-started": "Session started" };

async function checkDischarge() {
  if (!ov || ov.session.status === "completed") return;
  try {
    const d = await api(`/ui/sessions/${SID}/discharge-check`, { method: "POST", body: dischargeBody() });
    const items = d.criteria.slice().sort((a, b) => a.met - b.met);
    $("criteria").replaceChildren(...items.map((c) => el("li", { class: c.met ? "met" : "blocks", "data-criterion": c.criterion },
      c.met ? "✓ " : "✗ ", el("strong", {}, LABELS[c.criterion] || c.criterion), c.met ? "" : `: ${c.message}`)));
    $("discharge-btn").textContent = d.allowed ? "Complete discharge" : `Complete discharge (${items.filter((c) => !c.met).length} blocking)`;
  } catch (e) { showError(e); }
}

async function discharge(ev) {
  ev.preventDefault();
  try {
    const d = await api(`/ui/sessions/${SID}/discharge`, { method: "POST", body: dischargeBody(), headers: { "If-Match": `"${ov.session.version}"` } });
    $("discharge-msg").textContent = `Discharged at ${hhmm(d.session.ended_at)}; session completed.`;
    await loadOverview();
  } catch (e) { $("discharge-msg").textContent = e.message; await checkDischarge(); }
}
