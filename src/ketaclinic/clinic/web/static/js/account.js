// Your account: the state of your second factor and a new set of one-time recovery codes
// (GET /auth/mfa, POST /auth/mfa/recovery-codes with a current code from the app).
import { api, el, shell } from "./api.js";

const $ = (id) => document.getElementById(id);
if (shell()) { $("codes-form").addEventListener("submit", renew); load(); }

async function load() {
  try {
    const s = await api("/auth/mfa");
    $("mfa-state").textContent = s.enrolled
      ? `You sign in with an authenticator app. Recovery codes left: ${s.recovery_codes_left} of 10.`
      : "You sign in with your password only (your role does not require a second factor).";
    $("codes-form").hidden = !s.enrolled;
  } catch (e) { $("mfa-state").textContent = e.message; }
}

async function renew(ev) {
  ev.preventDefault();
  const button = $("codes-form").querySelector("button[type=submit]");
  if (button.disabled) return;
  button.disabled = true; // one request per press: each set voids the one before
  try {
    const r = await api("/auth/mfa/recovery-codes", { method: "POST", body: { code: $("codes-code").value.trim() } });
    $("codes-list").replaceChildren(...r.recovery_codes.map((c) => el("li", {}, c)));
    $("codes-list").hidden = false;
    $("codes-msg").textContent = "New recovery codes (the old ones no longer work). Store them somewhere safe and offline now.";
    $("codes-code").value = "";
    await load();
  } catch (e) { $("codes-msg").textContent = e.message; }
  finally { button.disabled = false; $("codes-msg").focus(); }
}
