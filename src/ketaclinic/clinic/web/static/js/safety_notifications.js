// Dashboard: open safety notifications raised by questionnaires, acknowledged by a named user.
import { api, el, hhmm, showError, ApiError } from "./api.js";

const $ = (id) => document.getElementById(id);
let seen = new Set();

async function load() {
  let rows;
  try { rows = await api("/notifications"); } catch (e) {
    if (e instanceof ApiError && e.status === 403) { $("safety-notifications").hidden = true; return; }
    showError(e); return;
  }
  const fresh = rows.filter((n) => !seen.has(n.id));
  if (fresh.length && seen.size) $("safety-live").textContent = `${fresh.length} new safety flag(s)`;
  seen = new Set(rows.map((n) => n.id));
  $("no-safety").hidden = rows.length > 0;
  $("safety-list").replaceChildren(...rows.map((n) => el("li", { class: `alert ${n.priority}`, "data-notification": n.id },
    el("strong", {}, `${n.priority.toUpperCase()}: `), n.message, " ",
    el("a", { href: `/patients/${n.patient_id}` }, "patient chart"), ` · ${hhmm(n.created_at)} `,
    el("button", { type: "button", onclick: () => ack(n.id) }, "Acknowledge"))));
}

async function ack(id) {
  try { await api(`/notifications/${id}/ack`, { method: "POST" }); } catch (e) { showError(e); }
  await load();
}

if (sessionStorage.getItem("ketaclinic.token")) { load(); setInterval(load, 10000); }
