// The audit log: every moderation action, newest first, a page at a time.
import { el } from "../lib.js";
import { $, mod, state } from "./state.js";

const shown = (v) => (v === null || v === undefined || v === "" ? "(none)" : Array.isArray(v) ? v.join(", ") || "(none)" : String(v));

function describeChanges(event) {
  const parts = [];
  if (event.reason) parts.push(`Reason: ${event.reason}`);
  for (const [key, value] of Object.entries(event.changes || {})) {
    if (key === "note") parts.push(`Note: ${value}`);
    else if (Array.isArray(value) && value.length === 2) {
      const name = key.startsWith("alt_text:") ? "image description" : key.replace(/_/g, " ");
      parts.push(`${name}: ${shown(value[0])} → ${shown(value[1])}`);
    } else parts.push(`${key}: ${JSON.stringify(value)}`);
  }
  return parts.join("; ");
}

export async function loadAudit(append) {
  const q = new URLSearchParams({ limit: "50" });
  if (append && state.auditCursor) q.set("cursor", state.auditCursor);
  const body = $("audit-body");
  const only = (text) => el("tr", {}, el("td", { colspan: "5", text }));
  try {
    const page = await mod(`/api/admin/audit?${q}`);
    const rows = page.items.map((e) => el("tr", {},
      el("td", { text: new Date(e.at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) }),
      el("td", { text: e.actor }),
      el("td", { text: e.action }),
      el("td", {}, e.contribution_id ? el("code", { text: e.contribution_id }) : "—"),
      el("td", { text: describeChanges(e) })));
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    if (!body.children.length) body.append(only("Nothing has happened yet."));
    state.auditCursor = page.next_cursor;
    $("audit-more").hidden = !state.auditCursor;
  } catch (err) {
    body.replaceChildren(only(`The audit log could not be loaded: ${err.detail}`));
  }
}

export function wireAudit() {
  $("audit-more").addEventListener("click", () => loadAudit(true));
}
