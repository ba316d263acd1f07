// Patient chart: questionnaire trajectories (PHQ-9, GAD-7, ...) with the response line
// (>= 50% below the course baseline), the remission line and the session dates marked;
// and a form to enter a questionnaire whose text may be embedded (PHQ-9, GAD-7, PCL-5).
import { api, el, num, showError, clearError, ApiError } from "./api.js";
import { lineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const root = $("patient-root");
const PID = root ? root.dataset.patientId : null;
const DAY_MS = 86400000;
let instruments = [];

function shortDay(ms) { return new Date(ms).toLocaleDateString("en-GB", { day: "numeric", month: "short" }); }

function drawSeries(box, s, sessions) {
  const pts = s.points.map((p) => [Date.parse(p.administered_at), p.total]);
  const marks = sessions.filter((m) => !s.course_id || m.course_id === s.course_id).map((m) => Date.parse(m.at));
  const xs = pts.map((p) => p[0]).concat(marks);
  const x0 = Math.min(...xs) - DAY_MS, x1 = Math.max(...xs, x0 + 7 * DAY_MS) + DAY_MS;
  const toX = (t) => (t - x0) / DAY_MS;
  const span = toX(x1);
  const step = Math.max(1, Math.ceil(span / 6));
  const ticks = []; for (let d = 0; d <= span; d += step) ticks.push(d);
  const hlines = [];
  if (s.response_threshold !== null) hlines.push({ y: s.response_threshold, label: `response (≤ ${num(s.response_threshold, 1)}: 50% below baseline ${num(s.baseline_total, 0)})`, cls: "response", side: "below" });
  if (s.remission_threshold !== null) hlines.push({ y: s.remission_threshold, label: `remission (≤ ${num(s.remission_threshold, 0)})`, cls: "remission" });
  const last = s.points[s.points.length - 1];
  const verdict = s.latest ? `latest ${num(last.total, 0)} (${num(last.percent_change, 0)} % from baseline): ${last.remission ? "remission" : last.response ? "response" : "no response yet"}` : "baseline only";
  const title = `${s.instrument_name} over time`;
  lineChart(box, {
    title, height: 240,
    desc: `${s.instrument_name}: baseline ${num(s.baseline_total, 0)}, ${verdict}; ${marks.length} sessions marked.`,
    x: { min: 0, max: span, label: "date", ticks, format: (d) => shortDay(x0 + d * DAY_MS) },
    y: { min: s.total_min, max: s.total_max, label: `${s.instrument_id.toUpperCase()} total (LOINC ${s.loinc_total || "–"})`, format: (v) => num(v, 0) },
    series: [{ label: `${s.instrument_name} total`, points: pts.map(([t, y]) => [toX(t), y]), dots: true }],
    hlines,
    vlines: marks.map((t) => ({ x: toX(t), label: "", cls: "session" })),
    legendExtra: [["session dates (dotted)", "line"]],
  });
  box.setAttribute("data-instrument", s.instrument_id);
  box.setAttribute("data-points", String(s.points.length));
  const table = el("table", { class: "sr-only" },
    el("caption", {}, `${title}: values`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Date"), el("th", { scope: "col" }, "Total"), el("th", { scope: "col" }, "Band"), el("th", { scope: "col" }, "Response"), el("th", { scope: "col" }, "Remission"))),
    el("tbody", {}, ...s.points.map((p) => el("tr", {}, el("td", {}, new Date(p.administered_at).toLocaleDateString("en-GB")), el("td", {}, num(p.total, 1)), el("td", {}, p.band || "–"),
      el("td", {}, p.baseline ? "baseline" : p.response ? "yes" : "no"), el("td", {}, p.remission ? "yes" : "no")))));
  box.append(el("p", { class: "meta" }, verdict), table);
}

async function loadOutcomes() {
  let d;
  try { d = await api(`/patients/${PID}/outcomes`); } catch (e) {
    $("trajectory-note").textContent = e instanceof ApiError && e.status === 403 ? "Questionnaire results are not available to your role." : String(e.message || e);
    $("q-entry").hidden = e instanceof ApiError && e.status === 403;
    return;
  }
  const boxes = d.series.flatMap((s) => {
    const b = el("div", { class: "chart", "data-testid": "trajectory", "data-course": s.course_id || "none" });
    drawSeries(b, s, d.sessions);
    const when = new Date(s.baseline_at).toLocaleDateString("en-GB");
    return [el("h3", {}, `${s.instrument_name}: ${s.course_id ? "course" : "outside any course"}, baseline ${num(s.baseline_total, 0)} on ${when}`), b];
  });
  $("outcome-charts").replaceChildren(...boxes);
  $("trajectory-note").textContent = d.series.length
    ? `Response = at least 50% below the course baseline; ${d.baseline_definition}. Dotted lines: session dates.`
    : "No questionnaire results yet.";
}

function renderItems() {
  const inst = instruments.find((i) => i.id === $("q-instrument").value);
  if (!inst) return;
  const labels = inst.response_labels.length ? inst.response_labels : null;
  $("q-items").replaceChildren(...inst.items.map((it, n) => {
    const id = `q-${it.id}`;
    const options = [];
    for (let v = it.min_value; v <= it.max_value; v++) options.push(el("option", { value: String(v) }, labels && labels[v - it.min_value] ? `${v}: ${labels[v - it.min_value]}` : String(v)));
    return el("div", { class: "q-item" },
      el("label", { for: id }, `${n + 1}. ${it.text || it.id}`),
      el("select", { id, name: it.id, "data-item": it.id }, ...options));
  }));
}

async function setupForm() {
  try { instruments = (await api("/instruments")).filter((i) => i.may_embed_text); } catch { return; }
  try {
    const courses = await api(`/patients/${PID}/courses`);
    const open = courses.filter((c) => c.phase === "induction" || c.phase === "maintenance");
    $("q-course").append(...courses.map((c) => el("option", { value: c.id }, `${c.indication.replace("_", " ")} · ${c.protocol_id} (from ${c.started_on}, ${c.phase})`)));
    if (open.length) $("q-course").value = open[open.length - 1].id;
  } catch { /* courses not readable: enter without a course */ }
  $("q-instrument").replaceChildren(...instruments.map((i) => el("option", { value: i.id }, i.name)));
  $("q-instrument").addEventListener("change", renderItems);
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  $("q-when").value = now.toISOString().slice(0, 16);
  renderItems();
  $("q-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError("q-error");
    const answers = {};
    for (const s of $("q-items").querySelectorAll("select[data-item]")) answers[s.dataset.item] = Number(s.value);
    const when = new Date($("q-when").value);
    try {
      const body = { instrument_id: $("q-instrument").value, answers, administered_at: when.toISOString() };
      if ($("q-course").value) body.course_id = $("q-course").value;
      const r = await api(`/patients/${PID}/questionnaires`, { method: "POST", body });
      const flag = r.flag_codes.length ? ` Safety flag (${r.flag_codes.join(", ")}): the prescriber has been notified.` : "";
      $("q-result").textContent = `Saved: total ${num(r.total, 1)} (${r.band || "no band"}).${flag}`;
      await loadOutcomes();
    } catch (e) { showError(e, "q-error"); }
  });
}

if (PID && sessionStorage.getItem("ketaclinic.token")) { loadOutcomes(); setupForm(); }
