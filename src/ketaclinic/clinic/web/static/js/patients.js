import { api, el, day, shell, showError, clearError } from "./api.js";

const $ = (id) => document.getElementById(id);
if (shell()) { load(""); $("search").addEventListener("submit", (ev) => { ev.preventDefault(); load($("q").value.trim()); }); }

async function load(q) {
  let d;
  try { d = await api(`/patients?limit=200${q ? `&q=${encodeURIComponent(q)}` : ""}`); clearError(); } catch (e) { showError(e); return; }
  $("total").textContent = `(${d.total})`;
  $("patients").querySelector("tbody").replaceChildren(...d.items.map((p) => el("tr", {},
    el("td", {}, el("a", { href: `/patients/${p.id}` }, `${p.family_name}, ${p.given_name}`)),
    el("td", {}, p.mrn), el("td", {}, day(p.birth_date)), el("td", {}, p.sex || "–"))));
}
