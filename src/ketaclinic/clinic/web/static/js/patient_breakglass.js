// Break-glass on the patient chart (POST /break-glass, POST /break-glass/{id}/revoke): the
// front desk and the admin, who cannot read clinical records, open time-boxed read-only
// access to this patient in an emergency. Whether a grant is open comes from the server
// (GET /auth/me lists the caller's open grants), so a revoke, an expiry or another user
// signing in on the same tab shows at the next load; the browser keeps only the grant's
// end time and reason for display.
import { api, currentUser, token, utcMinute } from "./api.js";

const $ = (id) => document.getElementById(id);
const PID = $("patient-root").dataset.patientId;
const ROLES = new Set(["front_desk", "admin"]); // services/authz.py "breakglass.open"
const NOTE = (id) => `ketaclinic.breakglass.${id}`;
const utc = (iso) => `${utcMinute(iso)} UTC`;
let grantId = null;

if (token() && ROLES.has((currentUser() || {}).role)) init();

async function init() {
  $("bg-card").hidden = false;
  $("bg-form").addEventListener("submit", open);
  $("bg-end").addEventListener("click", end);
  try {
    const me = await api("/auth/me");
    const g = (me.break_glass || []).find((x) => x.patient_id === PID);
    show(g ? g.grant_id : null);
  } catch (e) { $("bg-msg").textContent = e.message; }
}

function show(id) {
  grantId = id;
  $("bg-form").hidden = !!id;
  $("bg-open").hidden = !id;
  if (!id) return;
  let note = null;
  try { note = JSON.parse(sessionStorage.getItem(NOTE(id)) || "null"); } catch { note = null; }
  $("bg-status").textContent = note
    ? `Emergency access is open until ${utc(note.expires_at)}. Reason: ${note.reason}`
    : "Emergency access to this patient is open.";
}

async function busy(button, work) {
  button.disabled = true; // one request per press: a double tap must not open two grants
  try { await work(); } finally { button.disabled = false; }
}

function open(ev) {
  ev.preventDefault();
  const body = { patient_id: PID, reason: $("bg-reason").value.trim(), minutes: Number($("bg-minutes").value) };
  return busy($("bg-form").querySelector("button[type=submit]"), async () => {
    try {
      const g = await api("/break-glass", { method: "POST", body });
      sessionStorage.setItem(NOTE(g.id), JSON.stringify({ expires_at: g.expires_at, reason: g.reason }));
      location.reload(); // every section loads again, now under the grant
    } catch (e) { $("bg-msg").textContent = e.message; }
  });
}

function end() {
  if (!grantId) return undefined;
  return busy($("bg-end"), async () => {
    try {
      await api(`/break-glass/${grantId}/revoke`, { method: "POST" });
    } catch (e) {
      if (e.status !== 409 && e.status !== 404) { $("bg-msg").textContent = e.message; return; }
      // already ended (revoked by the auditor, or expired): nothing left to end
    }
    sessionStorage.removeItem(NOTE(grantId));
    location.reload();
  });
}
