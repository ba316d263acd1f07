// Outcomes page: response and remission rates with 95% confidence intervals by indication
// and protocol (GET /analytics/outcomes), time to response, durability, adverse events.
import { api, el, num, ApiError } from "./api.js";

const $ = (id) => document.getElementById(id);
const pct = (p) => (p ? `${num(p.estimate * 100, 0)} % (${p.successes}/${p.n}; ${num(p.low * 100, 0)}–${num(p.high * 100, 0)} %)` : "–");

function ciBars(box, groups) {
  // horizontal bars: estimate with its CI whisker, one row per group and measure
  const NS = "http://www.w3.org/2000/svg";
  const rows = groups.flatMap((g) => [["response", g.response], ["remission", g.remission]].filter(([, p]) => p).map(([k, p]) => [`${g.indication} · ${g.protocol_id} · ${k}`, p, k]));
  const W = 760, rowH = 24, L = 330, R = 20, H = rows.length * rowH + 30;
  const X = (v) => L + v * (W - L - R);
  const s = (t, a, txt) => { const n = document.createElementNS(NS, t); for (const [k, v] of Object.entries(a)) n.setAttribute(k, v); if (txt !== undefined) n.textContent = txt; return n; };
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart-svg", "aria-label": "Response and remission rates with 95% confidence intervals" });
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s("line", { x1: X(v), x2: X(v), y1: 0, y2: H - 20, class: "grid" }));
    svg.append(s("text", { x: X(v), y: H - 6, "text-anchor": "middle", class: "tick" }, `${v * 100} %`));
  }
  rows.forEach(([label, p, k], i) => {
    const y = i * rowH + 14;
    svg.append(s("text", { x: L - 8, y: y + 4, "text-anchor": "end", class: "tick" }, label));
    svg.append(s("line", { x1: X(p.low), x2: X(p.high), y1: y, y2: y, class: `ci ${k}`, stroke: k === "response" ? "#0f766e" : "#1d4ed8", "stroke-width": 2 }));
    svg.append(s("circle", { cx: X(p.estimate), cy: y, r: 5, fill: k === "response" ? "#0f766e" : "#1d4ed8" }));
  });
  box.replaceChildren(svg);
}

async function load() {
  const inst = $("rates-instrument").value;
  let d;
  try { d = await api(`/analytics/outcomes?instrument_id=${encodeURIComponent(inst)}`); } catch (e) {
    $("rates-note").textContent = e instanceof ApiError && e.status === 403 ? "Outcome rates are not available to your role." : String(e.message || e);
    return;
  }
  $("rates-table").querySelector("tbody").replaceChildren(...d.groups.map((g) => el("tr", { "data-group": `${g.indication}/${g.protocol_id}` },
    el("td", {}, g.indication.replace("_", " ")), el("td", {}, g.protocol_id), el("td", { class: "num" }, g.courses),
    el("td", { class: "num", "data-testid": "response-rate" }, pct(g.response)), el("td", { class: "num", "data-testid": "remission-rate" }, pct(g.remission)),
    el("td", { class: "num" }, num(g.time_to_response.median_days, 1)), el("td", { class: "num" }, num(g.durability.median_days, 1)))));
  ciBars($("rates-chart"), d.groups);
  $("rates-note").textContent = d.groups.length
    ? `Last follow-up of each course against its baseline; 95% confidence intervals (${d.method}). Response: at least 50% below baseline; ${d.baseline_definition}. Medians are Kaplan–Meier estimates (– when not reached).`
    : `No courses with a ${inst.toUpperCase()} baseline yet.`;
  const ae = d.adverse_events || [];
  $("ae-rates-table").querySelector("tbody").replaceChildren(...ae.map((r) => el("tr", {},
    el("td", {}, r.indication.replace("_", " ")), el("td", {}, r.protocol_id), el("td", { class: "num" }, r.sessions), el("td", { class: "num" }, r.events),
    el("td", { class: "num" }, `${num(r.events_per_session, 2)} (${num(r.low, 2)}–${num(r.high, 2)})`), el("td", { class: "num" }, pct(r.sessions_with_event)))));
  $("ae-rates-note").textContent = d.adverse_events_note;
}

if (sessionStorage.getItem("ketaclinic.token")) {
  $("rates-instrument").addEventListener("change", load);
  load();
}
