import { api, setToken, clearToken, ApiError } from "./api.js";

// Sign-in in one or two steps: the password, then (for a user with MFA) a TOTP code, or
// (for a role that must use MFA, without it yet) enrolment: key shown once, then a code.
const form = document.getElementById("login-form");
const err = document.getElementById("login-error");
const mfaForm = document.getElementById("mfa-form");
const mfaErr = document.getElementById("mfa-error");
let step = null; // {mfa: "code" | "enrol", mfa_token, username}
document.getElementById("username").focus();

async function post(path, body, bearer) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const res = await fetch(`/api/v1${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

async function finish(r, username) {
  setToken(r.token, { id: r.user_id, role: r.role, name: username });
  const me = await api("/auth/me");
  setToken(r.token, { id: r.user_id, role: r.role, name: me.name });
  const next = new URLSearchParams(location.search).get("next");
  location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/dashboard");
}

function restart(message) {
  step = null; mfaForm.hidden = true; form.hidden = false;
  err.hidden = !message; err.textContent = message || "";
  form.password.value = ""; form.password.focus();
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  err.hidden = true;
  clearToken();
  const username = form.username.value.trim(), password = form.password.value;
  try {
    const r = await post("/auth/login", { username, password });
    if (!r.mfa) { await finish(r, username); return; }
    step = { ...r, username };
    form.hidden = true; mfaForm.hidden = false; mfaErr.hidden = true;
    document.getElementById("mfa-enrol").hidden = r.mfa !== "enrol";
    document.getElementById("mfa-help").textContent = r.mfa === "enrol"
      ? "Enter the 6-digit code your authenticator app shows for this key."
      : "Enter the 6-digit code from your authenticator app, or one of your recovery codes if you do not have the app with you.";
    if (r.mfa === "enrol") {
      const e = await post("/auth/mfa/enrol", {}, r.mfa_token);
      document.getElementById("mfa-secret").textContent = e.secret_base32;
      document.getElementById("mfa-uri").href = e.otpauth_uri;
    }
    mfaForm.code.value = ""; mfaForm.code.focus();
  } catch (e) {
    err.hidden = false;
    err.textContent = e instanceof ApiError ? e.message : "The server cannot be reached.";
    form.password.value = ""; form.password.focus();
  }
});

mfaForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  mfaErr.hidden = true;
  const code = mfaForm.code.value.trim();
  try {
    if (step.mfa === "code") {
      await finish(await post("/auth/login/mfa", { mfa_token: step.mfa_token, code }), step.username);
    } else {
      const r = await post("/auth/mfa/confirm", { code }, step.mfa_token);
      showCodes(r.recovery_codes, () => finish(r.session, step.username));
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && e.code === "unauthorized" && /is not valid/.test(e.message)) { // the challenge, not the code
      restart(e.message); return;
    }
    mfaErr.hidden = false;
    mfaErr.textContent = e instanceof ApiError ? e.message : "The server cannot be reached.";
    mfaForm.code.value = ""; mfaForm.code.focus();
  }
});

// Shown once, after enrolment: the one-time recovery codes, then on to the app.
function showCodes(codes, next) {
  mfaForm.hidden = true;
  const list = document.getElementById("mfa-code-list");
  list.replaceChildren(...codes.map((c) => { const li = document.createElement("li"); li.textContent = c; return li; }));
  document.getElementById("mfa-codes").hidden = false;
  const done = document.getElementById("mfa-codes-done");
  done.onclick = async () => { // the session exists already: only opening the app is left
    done.disabled = true;
    try { await next(); } catch (e) {
      done.disabled = false;
      const p = document.getElementById("mfa-codes-error");
      p.hidden = false; p.textContent = e instanceof ApiError ? e.message : "The server cannot be reached.";
    }
  };
  done.focus();
}
