// Booking a course's planned sessions into one chair from the Schedule page (POST /ui/series;
// a clash refuses the whole series with the chair and the time).
import { api, el, token } from "./api.js";

const $ = (id) => document.getElementById(id);
if (token()) init(); // schedule.js runs the page shell

async function init() {
  $("series-patient").addEventListener("change", loadCourses);
  $("series-form").addEventListener("submit", book);
  try {
    const [patients, sched] = await Promise.all([
      api("/ui/series/patients"), api(`/ui/schedule?start=${new Date().toISOString().slice(0, 10)}&days=1`)]);
    $("series-patient").append(...patients.map((p) => el("option", { value: p.id }, `${p.family_name}, ${p.given_name} (${p.mrn})`)));
    $("series-chair").replaceChildren(...sched.chairs.map((c) => el("option", { value: c.id }, c.label)));
  } catch (e) { $("series-msg").textContent = e.message; }
}

async function loadCourses() {
  const pid = $("series-patient").value;
  const opts = [el("option", { value: "" }, "–")];
  if (pid) {
    try {
      const courses = await api(`/ui/patients/${pid}/bookable-courses`);
      opts.push(...courses.map((c) => el("option", { value: c.id },
        `${c.protocol_id}, ${c.phase} from ${c.started_on}: ${c.booked} of ${c.planned_sessions} booked`)));
    } catch (e) { $("series-msg").textContent = e.message; }
  }
  $("series-course").replaceChildren(...opts);
}

async function book(ev) {
  ev.preventDefault();
  const first = $("series-first").value;
  const body = { course_id: $("series-course").value, chair_id: $("series-chair").value,
    first_at: `${first.length === 16 ? `${first}:00` : first}Z`,
    day_offsets: $("series-days").value.split(",").map((x) => Number(x.trim())) };
  try {
    const rows = await api("/ui/series", { method: "POST", body });
    $("series-msg").textContent = `Booked ${rows.length} sessions in ${$("series-chair").selectedOptions[0].textContent}.`;
    $("start").value = first.slice(0, 10);
    $("week").requestSubmit();
    await loadCourses();
  } catch (e) { $("series-msg").textContent = e.message; }
}
