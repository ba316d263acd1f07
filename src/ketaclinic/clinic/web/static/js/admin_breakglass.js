// Break-glass review on the Admin page (GET /break-glass, POST /break-glass/{id}/revoke):
// the auditor and the admin see every grant, its reason and its accesses, and end one early.
import { api, el, currentUser, token, utcMinute as utc } from "./api.js";

const $ = (id) => document.getElementById(id);
const ROLES = new Set(["auditor", "admin"]); // services/authz.py "breakglass.review"

if (token() && ROLES.has((currentUser() || {}).role)) { $("bgr-card").hidden = false; load(); }

async function load() {
  try {
    const [grants, staff] = await Promise.all([api("/break-glass?status=all&limit=100"), api("/staff")]);
    const who = new Map(staff.map((u) => [u.id, `${u.display_name} (${u.username})`]));
    $("bgr-table").querySelector("tbody").replaceChildren(...grants.map((g) => el("tr", {},
      el("td", {}, utc(g.opened_at)), el("td", {}, who.get(g.user_id) || g.user_id),
      el("td", {}, el("a", { href: `/patients/${g.patient_id}` }, g.patient_id.slice(0, 8))),
      el("td", {}, g.reason), el("td", {}, utc(g.revoked_at || g.expires_at)), el("td", {}, g.status),
      el("td", { class: "num" }, g.accesses),
      el("td", {}, g.status === "active" ? el("button", { type: "button", "aria-label": `Revoke the grant opened ${utc(g.opened_at)}`, onclick: () => revoke(g) }, "Revoke") : ""))));
    if (!grants.length) $("bgr-msg").textContent = "No emergency access has been opened.";
  } catch (e) { $("bgr-msg").textContent = e.message; }
}

async function revoke(g) {
  try {
    await api(`/break-glass/${g.id}/revoke`, { method: "POST" });
    $("bgr-msg").textContent = `Revoked the grant opened ${utc(g.opened_at)}.`;
    await load();
  } catch (e) { $("bgr-msg").textContent = e.message; }
}
