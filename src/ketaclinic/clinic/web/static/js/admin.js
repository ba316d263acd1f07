import { api, el, num, shell, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
if (shell()) load();

async function load() {
  try {
    const staff = await api("/staff");
    $("staff").querySelector("tbody").replaceChildren(...staff.map((u) => el("tr", {}, el("td", {}, u.username), el("td", {}, u.display_name), el("td", {}, u.role.replace("_", " ")), el("td", {}, u.active ? "yes" : "no"))));
  } catch (e) { $("staff-note").hidden = false; $("staff-note").textContent = `Users: ${e.message}`; }
  try {
    const cat = await api("/ui/catalog");
    $("protocols").replaceChildren(...cat.protocols.map((p) => el("details", {},
      el("summary", {}, `${p.title} — ${p.id} v${p.version}`),
      el("p", { class: "meta" }, `${p.drug}, ${p.route}; ${p.indication}. Source: ${p.source}`),
      el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, el("tr", {}, ...["Quantity", "Hard min", "Soft min", "Soft max", "Hard max"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...Object.entries(p.limits).map(([f, s]) => el("tr", {}, el("th", { scope: "row" }, `${f} (${s.unit})`),
          ...["hard_min", "soft_min", "soft_max", "hard_max"].map((k) => el("td", { title: s[k] ? s[k].source : "" }, s[k] ? `${num(s[k].value, 3)} (${s[k].basis})` : "–"))))))))));
    $("thresholds").querySelector("tbody").replaceChildren(...cat.thresholds.map((t) => el("tr", {}, el("td", {}, t.code), el("td", {}, t.priority), el("td", {}, t.provenance), el("td", { class: "src" }, t.source))));
  } catch (e) { showError(e); }
}
