import { api, setToken, ApiError } from "./api.js";

const form = document.getElementById("login-form");
const err = document.getElementById("login-error");
document.getElementById("username").focus();
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  err.hidden = true;
  const username = form.username.value.trim(), password = form.password.value;
  try {
    const r = await api("/auth/login", { method: "POST", body: { username, password } });
    setToken(r.token, { id: r.user_id, role: r.role, name: username });
    const me = await api("/auth/me");
    setToken(r.token, { id: r.user_id, role: r.role, name: me.name });
    const next = new URLSearchParams(location.search).get("next");
    location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/dashboard");
  } catch (e) {
    err.hidden = false;
    err.textContent = e instanceof ApiError ? e.message : "The server cannot be reached.";
    form.password.value = ""; form.password.focus();
  }
});
