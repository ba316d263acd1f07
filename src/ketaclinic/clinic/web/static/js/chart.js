// Small SVG line charts drawn by hand (no library): series, bands, threshold lines, markers.
const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

function niceTicks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

/**
 * Draw a chart into `box` (replacing its content).
 * opts: {title, desc, height, x: {min, max, label, format, ticks}, y: {min, max, label, format, log},
 *        series: [{label, points: [[x, y]], cls, dash, dots}], area: {lower, upper, label, cls},
 *        bands: [{low, high, label, cls}], hlines: [{y, label, cls}], vlines: [{x, label, cls}]}
 */
export function lineChart(box, opts) {
  const W = 760, H = opts.height || 300;
  const m = { l: 56, r: 16, t: 14, b: 40 };
  const iw = W - m.l - m.r, ih = H - m.t - m.b;
  const xs = opts.x, ys = opts.y;
  const X = (v) => m.l + ((v - xs.min) / (xs.max - xs.min || 1)) * iw;
  const Y = (v) => m.t + ih - ((Math.min(Math.max(v, ys.min), ys.max) - ys.min) / (ys.max - ys.min || 1)) * ih;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart-svg", preserveAspectRatio: "xMidYMid meet" });
  const tid = `t${Math.random().toString(36).slice(2)}`;
  svg.setAttribute("aria-labelledby", tid);
  svg.append(s("title", { id: tid }, opts.title || "chart"));
  if (opts.desc) svg.append(s("desc", {}, opts.desc));
  const clip = `c${tid}`;
  const defs = s("defs");
  const cp = s("clipPath", { id: clip });
  cp.append(s("rect", { x: m.l, y: m.t, width: iw, height: ih }));
  defs.append(cp); svg.append(defs);
  // bands
  for (const b of opts.bands || []) {
    const hi = b.high === null || b.high === undefined ? ys.max : Math.min(b.high, ys.max);
    if (b.low >= ys.max) continue;
    const y1 = Y(hi), y2 = Y(Math.max(b.low, ys.min));
    svg.append(s("rect", { x: m.l, y: y1, width: iw, height: Math.max(0, y2 - y1), class: `band ${b.cls || ""}` }));
    svg.append(s("text", { x: W - m.r - 4, y: y1 + 12, class: "band-label", "text-anchor": "end" }, b.label));
  }
  // grid + axes
  const yt = ys.ticks || niceTicks(ys.min, ys.max);
  for (const v of yt) {
    svg.append(s("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), class: "grid" }));
    svg.append(s("text", { x: m.l - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, (ys.format || String)(v)));
  }
  const xt = xs.ticks || niceTicks(xs.min, xs.max, 6);
  for (const v of xt) {
    svg.append(s("line", { x1: X(v), x2: X(v), y1: m.t + ih, y2: m.t + ih + 4, class: "axis" }));
    svg.append(s("text", { x: X(v), y: m.t + ih + 18, "text-anchor": "middle", class: "tick" }, (xs.format || String)(v)));
  }
  svg.append(s("line", { x1: m.l, x2: W - m.r, y1: m.t + ih, y2: m.t + ih, class: "axis" }));
  svg.append(s("line", { x1: m.l, x2: m.l, y1: m.t, y2: m.t + ih, class: "axis" }));
  if (xs.label) svg.append(s("text", { x: m.l + iw / 2, y: H - 4, "text-anchor": "middle", class: "axis-label" }, xs.label));
  if (ys.label) svg.append(s("text", { x: 12, y: m.t + ih / 2, transform: `rotate(-90 12 ${m.t + ih / 2})`, "text-anchor": "middle", class: "axis-label" }, ys.label));
  const g = s("g", { "clip-path": `url(#${clip})` });
  svg.append(g);
  if (opts.area && opts.area.lower.length) {
    const up = opts.area.upper.map(([x, y]) => `${X(x)},${Y(y)}`);
    const lo = opts.area.lower.slice().reverse().map(([x, y]) => `${X(x)},${Y(y)}`);
    g.append(s("polygon", { points: up.concat(lo).join(" "), class: `area ${opts.area.cls || ""}` }));
  }
  const placed = { left: [], right: [] };
  for (const h of opts.hlines || []) {
    if (h.y < ys.min || h.y > ys.max) continue;
    g.append(s("line", { x1: m.l, x2: W - m.r, y1: Y(h.y), y2: Y(h.y), class: `hline ${h.cls || ""}` }));
    // "above" limits labelled at the left over the line, "below" limits at the right under it;
    // a label that would overlap another on its side moves to the other side
    let right = h.side === "below";
    const clash = (side) => placed[side].some((y) => Math.abs(y - Y(h.y)) < 13);
    if (clash(right ? "right" : "left")) right = !right;
    placed[right ? "right" : "left"].push(Y(h.y));
    g.append(s("text", { x: right ? W - m.r - 4 : m.l + 4, y: right ? Y(h.y) + 12 : Y(h.y) - 3,
      "text-anchor": right ? "end" : "start", class: `hline-label ${h.cls || ""}` }, h.label));
  }
  for (const sr of opts.series || []) {
    const pts = sr.points.filter(([x, y]) => y !== null && y !== undefined && Number.isFinite(y));
    if (!pts.length) continue;
    if (pts.length > 1) {
      g.append(s("polyline", { points: pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(" "), class: `line ${sr.cls || ""}`, "stroke-dasharray": sr.dash }));
    }
    if (sr.dots || pts.length === 1) for (const [x, y] of pts) g.append(s("circle", { cx: X(x), cy: Y(y), r: 3.5, class: `dot ${sr.cls || ""}` }));
  }
  for (const v of opts.vlines || []) {
    if (v.x < xs.min || v.x > xs.max) continue;
    svg.append(s("line", { x1: X(v.x), x2: X(v.x), y1: m.t, y2: m.t + ih, class: `vline ${v.cls || ""}` }));
    svg.append(s("text", { x: X(v.x) + 4, y: m.t + 12, class: `vline-label ${v.cls || ""}` }, v.label));
  }
  box.replaceChildren(svg);
  if (opts.legend !== false) {
    const ul = document.createElement("ul");
    ul.className = "legend";
    const items = [...(opts.series || []).map((x) => [x.label, `line ${x.cls || ""}`]),
      ...(opts.area ? [[opts.area.label, `area ${opts.area.cls || ""}`]] : []),
      ...(opts.legendExtra || [])];
    for (const [label, cls] of items) {
      if (!label) continue;
      const li = document.createElement("li");
      const sw = document.createElement("span"); sw.className = `swatch ${cls}`; sw.setAttribute("aria-hidden", "true");
      li.append(sw, label); ul.append(li);
    }
    box.append(ul);
  }
  return svg;
}
