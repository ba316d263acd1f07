// Admin: view and edit the versioned per-protocol monitoring rule sets
// (core API: GET /rule-sets, GET/PUT /rule-sets/{protocol_id} with ETag / If-Match).
import { api, currentUser, day, el } from "./api.js";

const $ = (id) => document.getElementById(id);
let current = null, etag = null;

init();

async function init() {
  const user = currentUser();
  const canEdit = !!(user && user.role === "admin");
  const editor = $("rs-form").querySelector(".inline-form");
  editor.hidden = !canEdit;
  $("rs-protocol").addEventListener("change", () => load($("rs-protocol").value));
  $("rs-form").addEventListener("submit", save);
  try {
    const sets = await api("/rule-sets");
    $("rs-protocol").replaceChildren(...sets.map((s) => el("option", { value: s.protocol_id }, `${s.protocol_id} (v${s.version})`)));
    if (sets.length) await load(sets[0].protocol_id);
  } catch (e) { $("rs-root").hidden = e.status === 403; $("rs-msg").textContent = e.message; }
}

async function load(pid) {
  const { data, res } = await api(`/rule-sets/${encodeURIComponent(pid)}`, { raw: true });
  current = data; etag = res.headers.get("ETag");
  $("rs-meta").textContent = `${data.protocol_id}: version ${data.version}${data.seeded ? " (seeded defaults)" : ""}, ${day(data.created_at)}: ${data.change_reason}`;
  $("rs-table").tBodies[0].replaceChildren(...data.thresholds.map((t, i) => el("tr", {},
    el("td", {}, t.field), el("td", {}, t.direction + (t.inclusive ? " or equal" : "")),
    el("td", {}, el("input", { type: "number", step: "any", "data-i": i, "data-k": "limit", value: t.limit,
      "aria-label": `Limit ${t.field} ${t.direction}`, inputmode: "decimal" })),
    el("td", {}, prioritySelect(t, i)), el("td", {}, t.provenance), el("td", {}, t.source))));
}

function prioritySelect(t, i) {
  const s = el("select", { "data-i": i, "data-k": "priority", "aria-label": `Priority ${t.field} ${t.direction}` },
    ...["high", "medium", "low"].map((p) => el("option", { value: p }, p)));
  s.value = t.priority;
  return s;
}

async function save(ev) {
  ev.preventDefault();
  const thresholds = current.thresholds.map((t) => ({ ...t }));
  for (const inp of $("rs-table").querySelectorAll("[data-i]")) {
    const t = thresholds[Number(inp.dataset.i)];
    if (inp.dataset.k === "limit") {
      const v = Number(inp.value);
      if (v !== t.limit) { t.limit = v; t.provenance = "clinic"; t.source = `clinic edit: ${$("rs-reason").value.trim()}`; }
    } else if (inp.value !== t.priority) { t.priority = inp.value; t.provenance = "clinic"; }
  }
  const body = { thresholds, expected_interval_min: current.expected_interval_min,
    silent_intervals: current.silent_intervals, reason: $("rs-reason").value.trim() };
  try {
    await api(`/rule-sets/${encodeURIComponent(current.protocol_id)}`, { method: "PUT", body, headers: { "If-Match": etag } });
    $("rs-msg").textContent = `Saved: ${current.protocol_id} now at a new version.`;
    $("rs-reason").value = "";
    await load(current.protocol_id);
  } catch (e) { $("rs-msg").textContent = e.message; }
}
