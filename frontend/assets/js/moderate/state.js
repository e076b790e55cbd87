// The dashboard's one state object, its words, and the API as a signed-in moderator uses it.
import { api } from "../lib.js";

export const $ = (id) => document.getElementById(id);

export const STATUS_WORDS = { pending: "waiting", held: "on hold", rejected: "not published", approved: "published",
  processing: "being processed", failed: "that could not be processed", withdrawn: "withdrawn", reported: "reported by visitors" };
// Sound and video are made playable by the job queue; until then (or if that failed) there is nothing to decide.
export const UNDECIDABLE = ["processing", "failed"];
export const ACTION_WORDS = { approve: "Approved", hold: "Put on hold", reject: "Rejected" };
export const SHORTCUT_KEYS = { approve: "a", hold: "h", reject: "r" };
const SHORTCUTS_KEY = "scrapbook:moderation-shortcuts";

export const state = {
  csrf: "",
  meta: null,
  items: [], // the queue as loaded so far
  index: -1, // the one shown in the detail panel
  cursor: null, // the queue's next page
  auditCursor: null,
  busy: false, // a decision is on its way
  shortcutsOn: true,
  onSignedOut: () => {}, // set by the sign-in module: a 401 shows the sign-in form
};
try { state.shortcutsOn = window.localStorage.getItem(SHORTCUTS_KEY) !== "off"; } catch (e) { /* on */ }

export const current = () => state.items[state.index];

/** Turn single-key shortcuts on or off, kept in this browser. */
export function keepShortcuts(on) {
  state.shortcutsOn = on;
  try { window.localStorage.setItem(SHORTCUTS_KEY, on ? "on" : "off"); } catch (e) { /* not kept */ }
}

/** The API with the session's CSRF token on every state-changing request. */
export async function mod(path, options = {}) {
  const method = options.method || "GET";
  const headers = method === "GET" ? {} : { "X-CSRF-Token": state.csrf };
  try {
    return await api(path, { ...options, headers });
  } catch (err) {
    if (err.status === 401) state.onSignedOut("Your session has ended. Please sign in again.");
    throw err;
  }
}

export const contributionPath = (item, tail = "") => `/api/admin/contributions/${encodeURIComponent(item.id)}${tail}`;
