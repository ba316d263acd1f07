// Talking to the clinic API: the bearer token lives in sessionStorage (gone with the tab).
const KEY = "ketaclinic.token";

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t, user) {
  sessionStorage.setItem(KEY, t);
  sessionStorage.setItem(KEY + ".user", JSON.stringify(user));
}
export function currentUser() {
  try { return JSON.parse(sessionStorage.getItem(KEY + ".user") || "null"); } catch { return null; }
}
export function clearToken() { sessionStorage.removeItem(KEY); sessionStorage.removeItem(KEY + ".user"); }

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status; this.field = e.field; this.limit = e.limit; this.code = e.code; this.body = e;
  }
}

export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const h = { Accept: "application/json", ...headers };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(`/api/v1${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401 && !path.startsWith("/auth/login")) {
    clearToken();
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, null);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return raw ? { data, res } : data;
}

/** Build an element: el("td", {class: "x"}, "text", child...). */
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : String(c));
  return n;
}

/** The one number format of the UI: leading zero, no trailing zeros, at most `digits` decimals. */
export function num(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Number(x).toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
export function qty(x, unit, digits = 2) { return x === null || x === undefined ? "–" : `${num(x, digits)} ${unit}`; }
export function hhmm(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}
/** "2031-09-01 09:00" in UTC (pages that work in UTC say so beside it); "–" for none. */
export function utcMinute(iso) {
  return iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") : "–";
}
export function hhmmss(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
export function day(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric" });
}
export function duration(min) {
  if (min === null || min === undefined) return "–";
  const neg = min < 0; const m = Math.abs(min);
  const h = Math.floor(m / 60), mm = Math.floor(m % 60), ss = Math.floor((m * 60) % 60);
  const s = h ? `${h} h ${String(mm).padStart(2, "0")} min` : `${mm} min ${String(ss).padStart(2, "0")} s`;
  return neg ? `−${s}` : s;
}

export function showError(err, where = "page-error") {
  const p = document.getElementById(where);
  if (!p) return;
  p.hidden = false;
  p.textContent = err instanceof ApiError ? err.message + (err.limit ? ` (limit: ${err.limit})` : "") : String(err);
}
export function clearError(where = "page-error") { const p = document.getElementById(where); if (p) { p.hidden = true; p.textContent = ""; } }

// No form of this app is ever submitted natively: every one is handled by its page's script.
// Capturing on the document guards the moment before a page's handler is attached (its data
// still loading), when Enter would otherwise navigate with half-filled or default values.
document.addEventListener("submit", (ev) => ev.preventDefault(), true);

/** Every signed-in page: require a token, show who is signed in, wire sign-out. */
export function shell() {
  if (!token()) { location.assign(`/login?next=${encodeURIComponent(location.pathname)}`); return null; }
  const u = currentUser();
  const who = document.getElementById("who");
  if (who && u) who.textContent = `${u.name} (${u.role.replace("_", " ")})`;
  const out = document.getElementById("signout");
  if (out) out.addEventListener("click", async () => {
    try { await api("/auth/logout", { method: "POST" }); } catch { /* already gone */ }
    clearToken(); location.assign("/login");
  });
  return u;
}

export function statusLabel(s) {
  return { scheduled: "scheduled", in_progress: "in progress", completed: "completed", cancelled: "cancelled" }[s] || s;
}
