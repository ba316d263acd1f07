import { api, el, num, shell, showError } from "./api.js";
import { lineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
if (shell()) load();

async function load() {
  let d;
  try { d = await api("/ui/outcomes/alert-rates?weeks=16"); } catch (e) { showError(e); return; }
  const w = d.weeks.map((r, i) => ({ ...r, i }));
  const have = w.filter((r) => r.proportion !== null);
  lineChart($("outcome-chart"), {
    title: "Share of completed sessions with at least one alert, per week",
    desc: `Overall ${d.total.with_alert} of ${d.total.sessions} sessions.`, height: 240,
    x: { min: 0, max: Math.max(1, w.length - 1), label: "week starting", ticks: w.filter((r) => r.i % 2 === 0).map((r) => r.i), format: (i) => w[i] ? w[i].week_start.slice(5) : "" },
    y: { min: 0, max: 100, label: "% of sessions", format: (v) => num(v, 0) },
    series: [{ label: "sessions with an alert, %", points: have.map((r) => [r.i, r.proportion * 100]), dots: true }],
    area: { label: "95% confidence interval (Wilson)", lower: have.map((r) => [r.i, r.ci95[0] * 100]), upper: have.map((r) => [r.i, r.ci95[1] * 100]) },
  });
  const t = d.total;
  $("outcome-note").textContent = t.sessions
    ? `Overall: ${t.with_alert} of ${t.sessions} completed sessions (${num(t.proportion * 100, 1)} %, 95% CI ${num(t.ci95[0] * 100, 1)}–${num(t.ci95[1] * 100, 1)} %) had at least one monitoring alert.`
    : "No completed sessions in the last 16 weeks.";
}
