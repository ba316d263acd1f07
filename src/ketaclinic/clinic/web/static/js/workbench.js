import { api, el, num, qty, shell, showError, clearError } from "./api.js";
import { concentrationChart } from "./pkplot.js";

if (shell()) init();

let catalog = null;
const $ = (id) => document.getElementById(id);

async function init() {
  try { catalog = await api("/ui/catalog"); } catch (e) { showError(e); return; }
  $("statement").textContent = catalog.statement;
  for (const m of catalog.models) $("model").append(el("option", { value: m.id }, `${m.id} — ${m.drug}; ${m.population.slice(0, 60)}`));
  $("model").prepend(el("option", { value: "" }, "the protocol's default model"));
  $("model").value = "";
  for (const p of catalog.protocols) $("protocol").append(el("option", { value: p.id }, `${p.title} (v${p.version})`));
  if (catalog.protocols.some((p) => p.id === "depression-iv-40min")) $("protocol").value = "depression-iv-40min";
  $("protocol").addEventListener("change", doses);
  doses();
  for (const r of document.querySelectorAll("input[name=mode]")) r.addEventListener("change", mode);
  $("sim-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  run();
}

function protocol() { return catalog.protocols.find((p) => p.id === $("protocol").value); }

function doses() {
  const p = protocol();
  $("pdose-unit").textContent = `(${p.dose_unit})`;
  $("pdose").replaceChildren(...p.standard_doses.map((d) => el("option", { value: d }, `${num(d)} ${p.dose_unit}`)));
}

function mode() {
  const m = document.querySelector("input[name=mode]:checked").value;
  $("protocol-fields").hidden = m !== "protocol";
  $("regimen-fields").hidden = m !== "regimen";
}

function optNum(id) { const v = $(id).value; return v === "" ? null : Number(v); }

async function run() {
  clearError();
  const m = document.querySelector("input[name=mode]:checked").value;
  const patient = { weight_kg: Number($("w").value) };
  if (optNum("age") !== null) patient.age_years = optNum("age");
  if ($("sex").value) patient.sex = $("sex").value;
  if (optNum("h") !== null) patient.height_cm = optNum("h");
  const body = { patient, population: $("pop").checked };
  if ($("model").value) body.model_id = $("model").value;
  if (m === "protocol") {
    const p = protocol();
    body.protocol_id = p.id;
    body[p.dose_unit === "mg/kg" ? "dose_mg_per_kg" : "dose_mg"] = Number($("pdose").value);
  } else {
    const d = { route: $("route").value, amount_mg: Number($("amount").value) };
    if (d.route === "iv-infusion") d.duration_min = Number($("dur").value);
    body.doses = [d];
    if (!body.model_id) body.model_id = catalog.default_model;
  }
  $("sim-caption").textContent = "Simulating…";
  try {
    const r = await api("/ui/simulate", { method: "POST", body });
    draw(r);
  } catch (e) { showError(e); $("sim-caption").textContent = ""; }
}

function draw(r) {
  concentrationChart($("sim-chart"), r, { title: `Predicted concentration, model ${r.model}` });
  const reg = r.regimen.map((d) => `${d.route} ${qty(d.amount_mg, "mg")}${d.duration_min ? ` over ${num(d.duration_min)} min` : ""}`).join(", ");
  const popNote = r.population && r.population.note ? ` ${r.population.note}.` : "";
  $("sim-caption").textContent = `Model ${r.model}; ${reg}.${popNote}`;
  $("warnings").replaceChildren(...r.warnings.map((w) => el("p", {}, `⚠ ${w}`)));
  const w = r.window;
  const rows = w.bands.map((b) => el("tr", {},
    el("th", { scope: "row" }, b.label),
    el("td", {}, `${num(b.low_ng_per_ml, 0)}${b.high_ng_per_ml ? "–" + num(b.high_ng_per_ml, 0) : "+"} ng/mL`),
    el("td", {}, b.reached ? "reached" : "not reached"),
    el("td", {}, qty(b.minutes, "min", 0)),
    el("td", { class: "src" }, b.source)));
  const table = el("table", {}, el("caption", {}, "Time in each literature band (typical patient)"),
    el("thead", {}, el("tr", {}, ...["Band", "Range", "Reached", "Time in band", "Source"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
  const d = w.dissociation;
  $("window").replaceChildren(
    el("p", {}, `Peak plasma ${qty(w.peak_plasma_ng_per_ml, "ng/mL", 0)} at ${qty(w.peak_plasma_time_min, "min", 0)}. `,
      `Predicted peak dissociation ${num(d.peak_fraction_of_max * 100, 0)} % of maximum at ${qty(d.peak_time_min, "min", 0)} (${d.model}).`),
    el("div", { class: "table-wrap" }, table),
    el("p", { class: "statement" }, w.statement));
}
