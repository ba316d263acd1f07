// The concentration chart shared by the workbench and the session monitor.
import { lineChart } from "./chart.js";
import { num } from "./api.js";

export function concentrationChart(box, sim, { bands = sim.bands, nowMin = null, title = "Predicted plasma concentration", height = 320 } = {}) {
  const t = sim.time_min;
  const cp = sim.plasma_ng_per_ml;
  const ce = sim.effect_site_ng_per_ml;
  const pop = sim.population && sim.population.p05_ng_per_ml ? sim.population : null;
  let top = Math.max(...cp, ...(ce || [0]), ...(pop ? pop.p95_ng_per_ml : [0]));
  top = Math.max(50, top * 1.15);
  const series = [{ label: "plasma (typical patient)", points: t.map((x, i) => [x, cp[i]]), cls: "s-plasma" }];
  if (ce) series.push({ label: "effect site", points: t.map((x, i) => [x, ce[i]]), cls: "s-effect", dash: "6 4" });
  const area = pop ? { label: `population 5th–95th percentile (n = ${pop.n})`, cls: "a-pop",
    lower: t.map((x, i) => [x, pop.p05_ng_per_ml[i]]), upper: t.map((x, i) => [x, pop.p95_ng_per_ml[i]]) } : null;
  const vlines = nowMin === null ? [] : [{ x: nowMin, label: "now", cls: "v-now" }];
  const visible = bands.filter((b) => b.low_ng_per_ml < top);
  const desc = `Peak ${num(Math.max(...cp), 0)} ng/mL. Bands shown: ${visible.map((b) => `${b.label} ${b.low_ng_per_ml}${b.high_ng_per_ml ? "–" + b.high_ng_per_ml : "+"} ng/mL`).join("; ")}.`;
  return lineChart(box, {
    title, desc, height, series, area, vlines,
    x: { min: t[0], max: t[t.length - 1], label: "time from start, min", format: (v) => num(v, 0) },
    y: { min: 0, max: top, label: "ng/mL", format: (v) => num(v, 0) },
    bands: visible.map((b, i) => ({ low: b.low_ng_per_ml, high: b.high_ng_per_ml, label: b.label, cls: `b${i}` })),
    legendExtra: visible.map((b, i) => [`${b.label} (${b.low_ng_per_ml}${b.high_ng_per_ml ? "–" + b.high_ng_per_ml : "+"} ng/mL)`, `band b${i}`]),
  });
}
