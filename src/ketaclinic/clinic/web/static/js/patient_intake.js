// Patient chart, issue 4: screening (hard stops in red, relative contraindications with their
// override status), consents per course (and recording one), medications and the MME/day trend.
import { api, el, currentUser, day, num, qty, token, showError } from "./api.js";
import { lineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const PID = $("patient-root").dataset.patientId;
if (token()) load();

const denied = (e) => e && e.status === 403;
const note = (text) => el("p", { class: "muted" }, text);

async function load() {
  await Promise.all([screening(), consents(), medications()]);
}

async function screening() {
  try {
    const list = await api(`/patients/${PID}/screenings`);
    if (!list.length) { $("screening").replaceChildren(note("No screening recorded.")); return; }
    const s = list[0];
    const over = new Map(s.overrides.map((o) => [o.contraindication_id, o]));
    const head = s.status === "hard-stop"
      ? el("p", { class: "hard-stop" }, `Hard stop: ${s.message}`)
      : el("p", { class: s.status === "eligible" ? "ci-relative overridden" : "ci-relative open" },
        s.status === "eligible" ? "Eligible: no blocking contraindication" : `Needs a prescriber's override: ${s.message}`);
    const items = s.findings.map((c) => {
      if (c.kind === "absolute") return el("li", { class: "ci-absolute" }, `${c.label} (absolute, ${c.source})`);
      const o = over.get(c.id);
      return el("li", { class: `ci-relative ${o ? "overridden" : "open"}` }, `${c.label} (relative): `,
        o ? `overridden ${day(o.overridden_at)}: ${o.reason}` : "no override yet");
    });
    $("screening").replaceChildren(head, el("ul", {}, ...items), note(`Screened ${day(s.recorded_at)}.`));
  } catch (e) { $("screening").replaceChildren(note(denied(e) ? "Your role may not read screenings." : e.message)); }
}

async function consents() {
  let courses;
  try { courses = await api(`/patients/${PID}/courses`); } catch (e) {
    $("consents").replaceChildren(note(denied(e) ? "Your role may not read courses." : e.message)); return;
  }
  if (!courses.length) { $("consents").replaceChildren(note("No treatment course.")); return; }
  const blocks = [];
  for (const c of courses) {
    const st = await api(`/courses/${c.id}/consents`);
    const rows = st.consents.map((k) => el("li", { class: "consent" },
      `${k.form_id} v${k.form_version} signed ${day(k.signed_at)}${k.current ? "" : " (superseded)"}`));
    blocks.push(el("div", { class: "course-consents" },
      el("h3", {}, `${c.indication.replace("_", " ")} · ${c.protocol_id} (${c.phase})`),
      st.valid ? el("p", {}, "Consent valid.") : el("p", { class: "consent-missing" }, `Missing: ${st.missing.join(", ")}`),
      rows.length ? el("ul", {}, ...rows) : note("No consent signed.")));
  }
  $("consents").replaceChildren(...blocks);
  await consentForm(courses);
}

async function consentForm(courses) {
  const forms = await api("/consent-forms");
  const current = new Map();
  for (const f of forms) if (!current.has(f.form_id) || current.get(f.form_id).version < f.version) current.set(f.form_id, f);
  if (!current.size) return;
  $("consent-course").replaceChildren(...courses.map((c) => el("option", { value: c.id }, `${c.indication.replace("_", " ")} · ${c.protocol_id}`)));
  $("consent-doc").replaceChildren(...[...current.values()].map((f) => el("option", { value: `${f.form_id}|${f.version}` }, `${f.title} (v${f.version})`)));
  const form = $("consent-form");
  if (!form.hidden) return;
  const now = new Date(Date.now() - 60000 - new Date().getTimezoneOffset() * 60000);
  $("consent-signed").value = now.toISOString().slice(0, 16);
  form.hidden = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [formId, version] = $("consent-doc").value.split("|");
    try {
      await api(`/courses/${$("consent-course").value}/consents`, { method: "POST", body: {
        form_id: formId, form_version: Number(version),
        signed_at: new Date($("consent-signed").value).toISOString(), witnessed_by: currentUser().id } });
      $("consent-msg").textContent = "Consent recorded.";
      await consents();
    } catch (e) { $("consent-msg").textContent = e.message; }
  });
}

async function medications() {
  try {
    const [meds, mme] = await Promise.all([api(`/patients/${PID}/medications`), api(`/patients/${PID}/mme`)]);
    $("medications").querySelector("tbody").replaceChildren(...meds.map((m) => {
      const last = m.changes[m.changes.length - 1];
      return el("tr", {}, el("td", {}, m.name), el("td", {}, day(m.started_on)),
        el("td", { class: "num" }, m.stopped_on ? `stopped ${day(m.stopped_on)}` : qty(m.daily_dose, m.dose_unit, 1)),
        el("td", { class: "num" }, m.mme_per_day === null ? "–" : num(m.mme_per_day, 1)),
        el("td", {}, last ? `${last.kind.replace("_", " ")} ${day(last.effective_on)}: ${last.reason}` : "–"));
    }));
    if (!meds.length) $("medications").querySelector("tbody").replaceChildren(el("tr", {}, el("td", { colspan: 5 }, "No medication recorded.")));
    $("mme-source").textContent = `Conversion factors: ${mme.source} (${mme.provenance}).`;
    const pts = mme.points;
    if (!pts.length) { $("mme-chart").textContent = "No opioid recorded."; return; }
    const t0 = new Date(pts[0].on);
    const days = (d) => (new Date(d) - t0) / 86400000;
    const end = Math.max(days(new Date()), days(pts[pts.length - 1].on) + 1);
    const steps = [];
    pts.forEach((p, i) => {
      if (i) steps.push([days(p.on), pts[i - 1].mme_per_day]);
      steps.push([days(p.on), p.mme_per_day]);
    });
    steps.push([end, pts[pts.length - 1].mme_per_day]);
    const ymax = Math.max(10, ...pts.map((p) => p.mme_per_day));
    lineChart($("mme-chart"), { title: "Opioid MME/day", height: 160, legend: false,
      x: { min: 0, max: end, label: `days since ${day(pts[0].on)}`, format: (v) => num(v, 0) },
      y: { min: 0, max: Math.ceil(ymax * 1.1), label: "MME/day", format: (v) => num(v, 0) },
      series: [{ label: "MME/day", points: steps }] });
  } catch (e) {
    if (denied(e)) $("medications").querySelector("tbody").replaceChildren(el("tr", {}, el("td", { colspan: 5 }, "Your role may not read medications.")));
    else showError(e);
  }
}
