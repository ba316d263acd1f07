import { api, el, day, hhmm, num, qty, shell, showError, statusLabel } from "./api.js";
import { lineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const PID = $("patient-root").dataset.patientId;
if (shell()) load();

function shortDay(iso) { return new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }); }

async function load() {
  try {
    const [p, ms, ss] = await Promise.all([api(`/patients/${PID}`), api(`/patients/${PID}/measurements`), api(`/ui/patients/${PID}/sessions`)]);
    $("patient-name").textContent = `${p.family_name}, ${p.given_name}`;
    document.title = `${p.family_name}, ${p.given_name} · ketaclinic`;
    const w = ms.filter((m) => m.weight_kg !== null);
    const facts = [["MRN", p.mrn], ["Born", day(p.birth_date)], ["Sex", p.sex || "–"], ["Phone", p.phone || "–"],
      ["Escort", p.escort_name ? `${p.escort_name} (${p.escort_phone || "no phone"})` : "none recorded"],
      ["Latest weight", w.length ? qty(w[w.length - 1].weight_kg, "kg", 1) : "–"]];
    $("demographics").replaceChildren(...facts.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))));
    if (w.length > 1) {
      const t0 = new Date(w[0].measured_at);
      const pts = w.map((m) => [(new Date(m.measured_at) - t0) / 86400000, m.weight_kg]);
      const ys = pts.map((x) => x[1]);
      lineChart($("weight-chart"), { title: "Weight history", height: 160, legend: false,
        x: { min: 0, max: Math.max(1, pts[pts.length - 1][0]), label: `days since ${day(w[0].measured_at)}`, format: (v) => num(v, 0) },
        y: { min: Math.floor(Math.min(...ys) - 5), max: Math.ceil(Math.max(...ys) + 5), label: "kg", format: (v) => num(v, 0) },
        series: [{ label: "weight", points: pts, dots: true }] });
    } else $("weight-chart").textContent = w.length ? `One measurement: ${qty(w[0].weight_kg, "kg", 1)} on ${day(w[0].measured_at)}.` : "No weight recorded.";
    const done = ss.filter((s) => s.status === "completed").length;
    $("sess-count").textContent = `(${done} completed of ${ss.length})`;
    $("sessions").querySelector("tbody").replaceChildren(...ss.slice().reverse().map((s) => el("tr", {},
      el("td", {}, el("a", { href: `/sessions/${s.id}` }, `${shortDay(s.scheduled_for)} ${hhmm(s.started_at || s.scheduled_for)}`)),
      el("td", {}, s.chair), el("td", {}, statusLabel(s.status)), el("td", { class: "num" }, s.readings),
      el("td", { class: "num" }, num(s.max_sbp_mmhg, 0)), el("td", { class: "num" }, num(s.max_hr_per_min, 0)),
      el("td", { class: "num" }, num(s.min_spo2_pct, 0)), el("td", { class: "num" }, s.alerts))));
  } catch (e) { showError(e); }
}
