// Break-glass on the patient chart (POST /break-glass, POST /break-glass/{id}/revoke): the
// front desk and the admin, who cannot read clinical records, open time-boxed read-only
// access to this patient in an emergency. The open grant is remembered for this tab.
import { api, currentUser, token } from "./api.js";

const $ = (id) => document.getElementById(id);
const PID = $("patient-root").dataset.patientId;
const KEY = `ketaclinic.breakglass.${PID}`;
const ROLES = new Set(["front_desk", "admin"]); // services/authz.py "breakglass.open"
const utc = (iso) => `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;

if (token() && ROLES.has((currentUser() || {}).role)) init();

function held() {
  try {
    const g = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (g && new Date(g.expires_at) > new Date()) return g;
  } catch { /* unreadable: ignore */ }
  sessionStorage.removeItem(KEY);
  return null;
}

function init() {
  $("bg-card").hidden = false;
  $("bg-form").addEventListener("submit", open);
  $("bg-end").addEventListener("click", end);
  show(held());
}

function show(g) {
  $("bg-form").hidden = !!g;
  $("bg-open").hidden = !g;
  if (g) $("bg-status").textContent = `Emergency access is open until ${utc(g.expires_at)}. Reason: ${g.reason}`;
}

async function open(ev) {
  ev.preventDefault();
  const body = { patient_id: PID, reason: $("bg-reason").value.trim(), minutes: Number($("bg-minutes").value) };
  try {
    const g = await api("/break-glass", { method: "POST", body });
    sessionStorage.setItem(KEY, JSON.stringify({ id: g.id, expires_at: g.expires_at, reason: g.reason }));
    location.reload(); // every section loads again, now under the grant
  } catch (e) { $("bg-msg").textContent = e.message; }
}

async function end() {
  const g = held();
  if (!g) { show(null); return; }
  try {
    await api(`/break-glass/${g.id}/revoke`, { method: "POST" });
    sessionStorage.removeItem(KEY);
    location.reload();
  } catch (e) { $("bg-msg").textContent = e.message; }
}
