// CADSS-6 entry on the session monitor: six items by id, 0-4 each, scored by the API
// (POST /sessions/{id}/scores with scale "cadss6"). The licensed item text is not shown.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const SID = $("session-root").dataset.sessionId;

$("cadss6-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const items = {};
  for (const s of $("cadss6-form").querySelectorAll("select[data-item]")) items[s.dataset.item] = Number(s.value);
  try {
    const r = await api(`/sessions/${SID}/scores`, { method: "POST", body: { scale: "cadss6", measured_at: new Date().toISOString(), items } });
    $("cadss6-msg").textContent = `CADSS-6 total ${r.total} of 24 recorded.`;
    $("cadss6-form").reset();
    // the score log (session_medication.js) shows the new score at once, not at its next refresh
    document.dispatchEvent(new CustomEvent("ketaclinic:scores-changed"));
  } catch (e) { $("cadss6-msg").textContent = e.message; }
});
