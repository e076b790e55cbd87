// Signing in and out, and the two views (queue and audit log) chosen by the URL's #.
import { markInvalid, markValid } from "../fields.js";
import { api, el, focusOn, getMeta } from "../lib.js";
import { loadAudit } from "./audit.js";
import { loadQueue } from "./queue.js";
import { $, mod, state } from "./state.js";

const SIGNIN_ERROR = "signin-error-text";

export function showSignIn(message) {
  $("dashboard").hidden = true;
  $("signin").hidden = false;
  const error = $("signin-error");
  if (message) {
    error.replaceChildren(el("p", { text: message }));
    error.hidden = false;
    focusOn(error);
  } else {
    error.hidden = true;
  }
}

function signInError(input, message) {
  const error = $("signin-error");
  error.replaceChildren(el("p", { id: SIGNIN_ERROR, text: message }));
  error.hidden = false;
  markInvalid(input, SIGNIN_ERROR);
  input.focus();
}

async function signIn(event) {
  event.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  for (const input of [$("username"), $("password")]) markValid(input, SIGNIN_ERROR);
  if (!username || !password) {
    signInError(!username ? $("username") : $("password"), "Please enter your username and password.");
    return;
  }
  try {
    const session = await api("/api/admin/session", { method: "POST", json: { username, password } });
    $("password").value = "";
    startDashboard(session);
  } catch (err) {
    signInError($("password"), err.detail);
  }
}

async function signOut() {
  try { await mod("/api/admin/session", { method: "DELETE" }); } catch (e) { /* signed out anyway */ }
  state.csrf = "";
  state.items = [];
  showSignIn("You have signed out.");
  $("username").focus();
}

export async function startDashboard(session) {
  state.csrf = session.csrf_token;
  $("who").textContent = session.username;
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  try { state.meta = await getMeta(); } catch (e) { state.meta = null; }
  route();
  await loadQueue();
}

/** #audit shows the audit log; anything else (#queue, #safeguarding) the queue. */
export function route() {
  const audit = window.location.hash === "#audit";
  $("queue-view").hidden = audit;
  $("audit-view").hidden = !audit;
  $("view-queue").removeAttribute("aria-current");
  $("view-audit").removeAttribute("aria-current");
  $(audit ? "view-audit" : "view-queue").setAttribute("aria-current", "page");
  if (audit) loadAudit(false);
}

export function wireSession() {
  state.onSignedOut = showSignIn;
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", () => { if (!$("dashboard").hidden) route(); });
}
