// Moderation dashboard: sign in, the queue with previews, corrections, decisions with the
// keyboard (j/k/a/h/r/?, which a moderator can turn off), and the audit log. Every
// state-changing request sends X-CSRF-Token.
import { mediaElement } from "../cards.js";
import { api, ApiError, announce, el, focusOn, formLabel, formatDate, getMeta, initChrome, kindLabel, regionName } from "../lib.js";
import { formatDuration, TIME_KINDS } from "../media.js";

initChrome();

const $ = (id) => document.getElementById(id);
const signinSection = $("signin");
const dashboard = $("dashboard");
const queueList = $("queue-list");
const detail = $("detail");
const help = $("help");

const STATUS_WORDS = { pending: "waiting", held: "on hold", rejected: "not published", approved: "published",
  processing: "being processed", failed: "that could not be processed", withdrawn: "withdrawn", reported: "reported by visitors" };
// Sound and video are made playable by the job queue; until then (or if that failed) there is nothing to decide.
const UNDECIDABLE = ["processing", "failed"];
const ACTION_WORDS = { approve: "Approved", hold: "Put on hold", reject: "Rejected" };
const SHORTCUTS_KEY = "scrapbook:moderation-shortcuts";
const SHORTCUT_KEYS = { approve: "a", hold: "h", reject: "r" };

let csrf = "";
let meta = null;
let items = [];
let index = -1;
let cursor = null;
let auditCursor = null;
let busy = false;
let shortcutsOn = true;
try { shortcutsOn = window.localStorage.getItem(SHORTCUTS_KEY) !== "off"; } catch (e) { /* on */ }

// --- API ----------------------------------------------------------------------------------------

async function mod(path, options = {}) {
  const method = options.method || "GET";
  const headers = method === "GET" ? {} : { "X-CSRF-Token": csrf };
  try {
    return await api(path, { ...options, headers });
  } catch (err) {
    if (err.status === 401) showSignIn("Your session has ended. Please sign in again.");
    throw err;
  }
}

// --- Signing in and out -------------------------------------------------------------------------

function showSignIn(message) {
  dashboard.hidden = true;
  signinSection.hidden = false;
  const error = $("signin-error");
  if (message) {
    error.replaceChildren(el("p", { text: message }));
    error.hidden = false;
    focusOn(error);
  } else {
    error.hidden = true;
  }
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  const error = $("signin-error");
  for (const input of [$("username"), $("password")]) input.removeAttribute("aria-invalid");
  if (!username || !password) {
    const missing = !username ? $("username") : $("password");
    missing.setAttribute("aria-invalid", "true");
    error.replaceChildren(el("p", { id: "signin-error-text", text: "Please enter your username and password." }));
    missing.setAttribute("aria-describedby", "signin-error-text");
    error.hidden = false;
    missing.focus();
    return;
  }
  try {
    const session = await api("/api/admin/session", { method: "POST", json: { username, password } });
    $("password").value = "";
    startDashboard(session);
  } catch (err) {
    $("password").setAttribute("aria-invalid", "true");
    $("password").setAttribute("aria-describedby", "signin-error-text");
    error.replaceChildren(el("p", { id: "signin-error-text", text: err.detail }));
    error.hidden = false;
    $("password").focus();
  }
});

$("signout").addEventListener("click", async () => {
  try { await mod("/api/admin/session", { method: "DELETE" }); } catch (e) { /* signed out anyway */ }
  csrf = "";
  items = [];
  showSignIn("You have signed out.");
  $("username").focus();
});

async function startDashboard(session) {
  csrf = session.csrf_token;
  $("who").textContent = session.username;
  signinSection.hidden = true;
  dashboard.hidden = false;
  try { meta = await getMeta(); } catch (e) { meta = null; }
  route();
  await loadQueue();
}

// --- Views: queue and audit log ------------------------------------------------------------------

function route() {
  const audit = window.location.hash === "#audit";
  $("queue-view").hidden = audit;
  $("audit-view").hidden = !audit;
  $("view-queue").removeAttribute("aria-current");
  $("view-audit").removeAttribute("aria-current");
  $(audit ? "view-audit" : "view-queue").setAttribute("aria-current", "page");
  if (audit) loadAudit(false);
}
window.addEventListener("hashchange", () => { if (!dashboard.hidden) route(); });

function excerpt(text, n = 90) {
  const flat = (text || "").replace(/\s+/g, " ").trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

function titleOf(item) { return item.title || `Untitled ${formLabel(item.form).toLowerCase()}`; }

function mediaSummary(item) {
  const playable = item.media.find((m) => TIME_KINDS.includes(m.type));
  if (playable) return playable.duration ? ` · ${formatDuration(playable.duration)}` : "";
  return item.media.length ? ` · ${item.media.length} image${item.media.length === 1 ? "" : "s"}` : "";
}

function queueButton(item, i) {
  // Only a picture can preview inside the button (a player there would nest controls).
  const thumb = (item.media || []).find((m) => (m.type || "image") === "image");
  const button = el("button", { type: "button", class: "queue-item", "data-index": String(i) },
    el("span", { class: "qi-title" },
      item.at_risk ? [el("span", { class: "risk-flag", text: "May be at risk" }), " "] : null,
      titleOf(item)),
    el("span", { class: "qi-meta", text: `${kindLabel(item.kind)} · ${formLabel(item.form)} · received ${formatDate(item.received_on)}${mediaSummary(item)}` }),
    thumb ? mediaElement(thumb, "thumb") : null,
    item.body ? el("span", { class: "qi-meta", text: excerpt(item.body) }) : null);
  const img = button.querySelector("img");
  if (img) { img.alt = ""; img.width = 96; img.height = Math.round(96 * ((thumb.height || 1) / (thumb.width || 1))); img.classList.add("qi-thumb"); }
  button.addEventListener("click", () => select(i, { focusList: true }));
  return el("li", {}, button);
}

function renderQueue() {
  queueList.replaceChildren(...items.map(queueButton));
  const status = $("queue-status").value;
  $("queue-count").textContent = items.length
    ? `${items.length}${cursor ? "+" : ""} ${STATUS_WORDS[status]}`
    : `Nothing ${STATUS_WORDS[status]}.`;
  $("queue-more").hidden = !cursor;
}

async function loadQueue(append = false) {
  const status = $("queue-status").value;
  // "reported" is published work that visitors have reported.
  const q = new URLSearchParams(status === "reported"
    ? { status: "approved", reported: "true", limit: "25" } : { status, limit: "25" });
  if (append && cursor) q.set("cursor", cursor);
  try {
    const page = await mod(`/api/admin/queue?${q}`);
    items = append ? [...items, ...page.items] : page.items;
    cursor = page.next_cursor;
    renderQueue();
    if (!append) select(items.length ? 0 : -1);
  } catch (err) {
    $("queue-count").textContent = `The queue could not be loaded: ${err.detail}`;
  }
}

$("queue-filter").addEventListener("submit", (e) => { e.preventDefault(); loadQueue(false); });
$("queue-more").addEventListener("click", () => loadQueue(true));

// --- One contribution ---------------------------------------------------------------------------

function options(select, pairs, value) {
  select.replaceChildren(...pairs.map(([v, label]) => el("option", { value: v, text: label })));
  select.value = value ?? "";
}

function field(id, label, control, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  control.id = id;
  return el("div", { class: "field", id: `${id}-field` },
    el("label", { for: id, text: label }),
    hint ? el("span", { class: "hint", id: hintId, text: hint }) : null,
    control);
}

function renderDetail() {
  const item = items[index];
  if (!item) {
    detail.replaceChildren(
      el("h2", { id: "detail-h", tabindex: "-1", text: items.length ? "Nothing selected" : "The queue is empty" }),
      el("p", { class: "muted", text: items.length
        ? `Choose a contribution from the list${shortcutsOn ? ", or press j" : ""}.` : "Nothing is waiting here. Thank you." }));
    return;
  }
  const tags = el("input", { type: "text", autocomplete: "off" });
  tags.value = item.tags.join(", ");
  const warning = el("input", { type: "text", autocomplete: "off" });
  warning.value = item.content_warning || "";
  const title = el("input", { type: "text", autocomplete: "off" });
  title.value = item.title;
  const form = el("select", {});
  options(form, (meta ? meta.forms : [item.form]).map((f) => [f, formLabel(f)]), item.form);
  const region = el("select", {});
  options(region, [["", "Not given"], ...(meta ? meta.regions.map((r) => [r.code, r.name]) : [])], item.region || "");

  const timed = TIME_KINDS.includes(item.kind);
  const images = item.media.filter((m) => (m.type || "image") === "image");
  const playable = item.media.find((m) => TIME_KINDS.includes(m.type));
  const figures = images.map((m, i) => {
    const alt = el("textarea", { rows: "3", "data-media": m.id });
    alt.value = m.alt_text || "";
    return el("figure", {},
      mediaElement(m, "display", { eager: true }),
      field(`alt-${m.id}`, `Description of image ${i + 1} (alt text)`, alt,
        "What matters in the picture, for people who cannot see it. Needed before approving."));
  });
  const failed = item.status === "failed";
  let timedParts = [];
  if (timed && !failed) {
    // Pending sound and video play here (moderators may fetch them); metadata only until played.
    const transcript = el("textarea", { rows: "6" });
    transcript.value = item.transcript || "";
    const video = playable && playable.type === "video";
    let description = null;
    if (video) {
      const alt = el("textarea", { rows: "3", "data-media": playable.id });
      alt.value = playable.alt_text || "";
      description = field(`alt-${playable.id}`, "Description of the video (what is shown)", alt,
        "What can be seen, for people who cannot see it.");
    }
    timedParts = [
      el("h3", { text: video ? "Video" : "Sound" }),
      playable ? el("figure", {}, mediaElement(playable, "display", { title: titleOf(item), preload: "metadata" }))
        : el("p", { class: "muted", text: "There is nothing to play: the file was not kept." }),
      el("p", { class: "hint", id: "described-rule", text: video
        ? "Approving needs a transcript or a description of the video, for people who cannot hear or see it."
        : "Approving needs a transcript, for people who cannot hear it." }),
      field("edit-transcript", video ? "Transcript (what is said)" : "Transcript (what is said or sung)", transcript,
        "Correct it or write it while you listen. Line breaks are kept."),
      description,
    ];
    transcript.setAttribute("aria-describedby", "described-rule edit-transcript-hint");
  }
  const undecidable = UNDECIDABLE.includes(item.status);
  const note = el("textarea", { rows: "2", class: "short" });
  const reason = el("textarea", { rows: "3" });
  const rejectPanel = el("div", { class: "notice error", id: "reject-panel", hidden: true },
    field("public-reason", "Reason the contributor will see", reason,
      "Kind and brief: they will read it on their receipt page."),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "danger", id: "confirm-reject", onclick: () => decide("reject") }, "Reject with this reason"),
      el("button", { type: "button", class: "secondary", onclick: closeReject }, "Cancel")));

  detail.replaceChildren(...[
    el("h2", { id: "detail-h", tabindex: "-1", text: titleOf(item) }),
    item.at_risk ? el("div", { class: "notice error" }, el("p", {},
      el("strong", { text: "This may come from someone at risk. " }),
      "Words in it suggest the person may be in danger. Follow the safeguarding steps before deciding.")) : null,
    item.reports ? el("div", { class: "notice", id: "reports-notice" },
      el("p", {},
        el("strong", { text: `Reported by visitors ${item.reports === 1 ? "once" : `${item.reports} times`}. ` }),
        "Approve again to keep it published and close these reports, or hold or reject it."),
      el("div", { id: "report-reasons" }, el("p", { class: "muted", text: "Loading what they said…" }))) : null,
    el("p", { class: "item-meta", text: [
      `${kindLabel(item.kind)}: ${formLabel(item.form)}`, `received ${formatDate(item.received_on)}`, `via ${item.channel}`,
      item.region ? regionName(meta, item.region) : "no area given",
      item.display_name ? `credited as “${item.display_name}”` : "anonymous",
      `licence: ${item.licence}`, `status: ${STATUS_WORDS[item.status] || item.status}`].join(" · ") }),
    item.contact_email ? el("p", { class: "item-meta" }, "Contact email: ", el("a", { href: `mailto:${item.contact_email}`, text: item.contact_email })) : null,
    item.status === "processing" ? el("div", { class: "notice", id: "processing-notice" }, el("p", {},
      el("strong", { text: "Still being processed. " }),
      "Its file is being made playable; it can be decided once that has finished. You can correct the details meanwhile.")) : null,
    item.status === "failed" ? el("div", { class: "notice error", id: "failure-notice" },
      el("p", {}, el("strong", { text: "Processing failed. " }), item.failure_reason || "No reason was recorded."),
      el("p", { text: "Its files have been erased and it cannot be published. The contributor sees a kind sentence on their receipt." })) : null,
    item.public_reason && item.status !== "failed" ? el("p", { class: "item-meta", text: `Reason given: ${item.public_reason}` }) : null,
    item.body ? el("div", { class: "piece-body", text: item.body }) : el("p", { class: "muted", text: timed ? "No words with it." : "No text." }),
    ...timedParts,
    figures.length ? el("h3", { text: `Images (${figures.length})` }) : null,
    ...figures,
    failed ? null : el("h3", { text: "Details" }),
    failed ? null : el("div", { class: "detail-grid" },
      field("edit-title", "Title", title),
      field("edit-form", "Form", form),
      field("edit-region", "Area", region),
      field("edit-tags", "Tags", tags, "Separated by commas."),
      field("edit-warning", "Content warning", warning, "Leave empty for none.")),
    failed ? null : el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", id: "save-edits", onclick: () => saveEdits(true) }, "Save changes")),
    undecidable ? el("div", { id: "detail-error", class: "notice error", hidden: true, tabindex: "-1" }) : el("div", { class: "decision-bar" },
      field("decision-note", "Private note for moderators (optional)", note),
      el("div", { class: "actions" },
        el("button", { type: "button", id: "approve", "aria-keyshortcuts": shortcutsOn && "a", onclick: () => decide("approve") },
          "Approve ", el("kbd", { "aria-hidden": "true", text: "a" })),
        el("button", { type: "button", class: "secondary", id: "hold", "aria-keyshortcuts": shortcutsOn && "h", onclick: () => decide("hold") },
          "Hold ", el("kbd", { "aria-hidden": "true", text: "h" })),
        el("button", { type: "button", class: "danger", id: "reject", "aria-keyshortcuts": shortcutsOn && "r", onclick: openReject },
          "Reject… ", el("kbd", { "aria-hidden": "true", text: "r" }))),
      rejectPanel,
      el("div", { id: "detail-error", class: "notice error", hidden: true, tabindex: "-1" })),
  ].filter(Boolean)); // replaceChildren would write out a null as the text "null"
  if (item.reports) loadReasons(item);
}

/** What visitors said, listed under the notice: the newest `reports` reports are the open ones. */
async function loadReasons(item) {
  const box = $("report-reasons");
  const q = new URLSearchParams({ contribution_id: item.id, action: "reported", limit: "20" });
  let shown;
  try {
    const page = await mod(`/api/admin/audit?${q}`);
    const open = page.items.slice(0, item.reports);
    const more = item.reports - open.length;
    shown = [
      open.length ? el("ul", {}, open.map((e) => el("li", {},
        el("span", { class: "item-meta", text: `${formatDate(String(e.at || "").slice(0, 10))}: ` }),
        e.reason || "No reason given."))) : null,
      more > 0 || !open.length ? el("p", { class: "muted", text: open.length
        ? `And ${more} more in the audit log.` : "Their reasons are in the audit log." }) : null,
    ].filter(Boolean);
  } catch (err) {
    shown = [el("p", { class: "muted", text: "What they said could not be loaded just now; it is in the audit log." })];
  }
  if (box.isConnected) box.replaceChildren(...shown); // unless another contribution is shown by now
}

function select(i, { focusList = false, focusHeading = false } = {}) {
  index = i;
  for (const button of queueList.querySelectorAll(".queue-item")) {
    if (Number(button.dataset.index) === i) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  renderDetail();
  const button = queueList.querySelector(`[data-index="${i}"]`);
  if (focusList && button) button.focus();
  else if (focusHeading) focusOn($("detail-h"));
  if (button) button.scrollIntoView({ block: "nearest" });
}

function move(step) {
  if (!items.length) return;
  const next = index < 0 ? 0 : Math.max(0, Math.min(items.length - 1, index + step));
  select(next, { focusList: true });
}

function edits() {
  const item = items[index];
  const change = {};
  const val = (id) => $(id).value;
  if (val("edit-title").trim() !== item.title) change.title = val("edit-title").trim();
  if (val("edit-form") !== item.form) change.form = val("edit-form");
  if ((val("edit-region") || null) !== (item.region || null)) change.region = val("edit-region") || null;
  const tags = val("edit-tags").split(",").map((t) => t.trim()).filter(Boolean);
  if (tags.join(",") !== item.tags.join(",")) change.tags = tags;
  if ((val("edit-warning").trim() || null) !== (item.content_warning || null)) change.content_warning = val("edit-warning").trim() || null;
  // Descriptions: every image, and a video (sound's description is its transcript).
  const media = item.media
    .filter((m) => $(`alt-${m.id}`))
    .map((m) => ({ id: m.id, alt_text: $(`alt-${m.id}`).value.trim() || null, before: m.alt_text || null }))
    .filter((m) => m.alt_text !== m.before)
    .map(({ id, alt_text: alt }) => ({ id, alt_text: alt }));
  if (media.length) change.media = media;
  const transcript = $("edit-transcript");
  if (transcript) {
    // Line breaks inside are kept; blank counts as none.
    const value = transcript.value.trim() || null;
    if (value !== ((item.transcript || "").trim() || null)) change.transcript = value;
  }
  return change;
}

function showDetailError(message, fieldId) {
  const box = $("detail-error");
  if (!box) return;
  box.replaceChildren(el("p", { id: "detail-error-text", text: message }));
  box.hidden = false;
  const input = fieldId && $(fieldId);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), "detail-error-text"].filter(Boolean).join(" "));
    input.focus();
  } else {
    focusOn(box);
  }
}

function replaceItem(updated) {
  items[index] = updated;
  const li = queueButton(updated, index);
  li.querySelector("button").setAttribute("aria-current", "true");
  queueList.children[index].replaceWith(li);
}

async function saveEdits(explicit) {
  const item = items[index];
  if (!item) return true;
  const change = edits();
  if (!Object.keys(change).length) {
    if (explicit) announce("Nothing to save.");
    return true;
  }
  try {
    const updated = await mod(`/api/admin/contributions/${encodeURIComponent(item.id)}`,
      { method: "PATCH", json: { version: item.version, ...change } });
    replaceItem(updated);
    if (explicit) {
      renderDetail();
      focusOn($("detail-h"));
      announce("Changes saved.");
    }
    return true;
  } catch (err) {
    await handleConflict(err);
    return false;
  }
}

async function handleConflict(err) {
  if (err.status === 409) {
    const item = items[index];
    try {
      replaceItem(await mod(`/api/admin/contributions/${encodeURIComponent(item.id)}`));
      renderDetail();
    } catch (e) { /* shown below */ }
    showDetailError("Someone else changed this contribution while you had it open. It has been reloaded: please check it and decide again.");
  } else if (err.status !== 401) {
    showDetailError(err.detail || "That did not work. Please try again.");
  }
}

function openReject() {
  const panel = $("reject-panel");
  if (!panel) return;
  panel.hidden = false;
  $("public-reason").focus();
}

function closeReject() {
  $("reject-panel").hidden = true;
  $("reject").focus();
}

async function decide(action) {
  const item = items[index];
  if (!item || busy) return;
  $("detail-error").hidden = true;
  if (UNDECIDABLE.includes(item.status)) {
    showDetailError(item.status === "processing"
      ? "It is still being processed. It can be decided once its file is ready."
      : "Its file could not be processed, so there is nothing to publish.");
    return;
  }
  const then = shortcutsOn ? ". Then press Esc and a." : ", then approve it again.";
  if (action === "approve") {
    const missing = item.media.find((m) => (m.type || "image") === "image" && !$(`alt-${m.id}`).value.trim());
    if (missing) {
      showDetailError(`Add a description to every image before approving it${then}`, `alt-${missing.id}`);
      return;
    }
    const playable = item.media.find((m) => TIME_KINDS.includes(m.type));
    const transcript = $("edit-transcript");
    if (playable && transcript && !transcript.value.trim()) {
      const description = $(`alt-${playable.id}`);
      if (playable.type === "audio") {
        showDetailError(`Add a transcript of the sound before approving it${then}`, "edit-transcript");
        return;
      }
      if (!description || !description.value.trim()) {
        showDetailError(`Add a transcript or a description of the video before approving it${then}`, "edit-transcript");
        return;
      }
    }
  }
  const reason = $("public-reason").value.trim();
  if (action === "reject" && !reason) {
    openReject();
    showDetailError("Please give the contributor a kind reason.", "public-reason");
    return;
  }
  busy = true;
  try {
    if (!(await saveEdits(false))) return;
    const current = items[index];
    const note = $("decision-note").value.trim();
    const decided = await mod(`/api/admin/contributions/${encodeURIComponent(current.id)}/decision`, {
      method: "POST",
      json: { action, version: current.version, note: note || null, public_reason: action === "reject" ? reason : null },
    });
    $("dash-status").textContent = `${ACTION_WORDS[action]}: ${titleOf(decided)}.`;
    if (decided.status !== $("queue-status").value) {
      items.splice(index, 1);
      renderQueue();
      select(Math.min(index, items.length - 1), { focusList: items.length > 0, focusHeading: items.length === 0 });
    } else {
      replaceItem(decided);
      renderDetail();
      focusOn($("detail-h"));
    }
  } catch (err) {
    if (err.code === "alt_text_required") {
      const missing = items[index].media.find((m) => !m.alt_text);
      showDetailError(err.detail, missing ? `alt-${missing.id}` : null);
    } else if (err.code === "transcript_required") {
      showDetailError(err.detail, $("edit-transcript") ? "edit-transcript" : null);
    } else if (err instanceof ApiError) {
      await handleConflict(err);
    }
  } finally {
    busy = false;
  }
}

// --- Audit log ----------------------------------------------------------------------------------

function describeChanges(event) {
  const parts = [];
  if (event.reason) parts.push(`Reason: ${event.reason}`);
  for (const [key, value] of Object.entries(event.changes || {})) {
    if (key === "note") parts.push(`Note: ${value}`);
    else if (Array.isArray(value) && value.length === 2) {
      const name = key.startsWith("alt_text:") ? "image description" : key.replace(/_/g, " ");
      const show = (v) => (v === null || v === undefined || v === "" ? "(none)" : Array.isArray(v) ? v.join(", ") || "(none)" : String(v));
      parts.push(`${name}: ${show(value[0])} → ${show(value[1])}`);
    } else parts.push(`${key}: ${JSON.stringify(value)}`);
  }
  return parts.join("; ");
}

async function loadAudit(append) {
  const q = new URLSearchParams({ limit: "50" });
  if (append && auditCursor) q.set("cursor", auditCursor);
  const body = $("audit-body");
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
    if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "5", text: "Nothing has happened yet." })));
    auditCursor = page.next_cursor;
    $("audit-more").hidden = !auditCursor;
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "5", text: `The audit log could not be loaded: ${err.detail}` })));
  }
}
$("audit-more").addEventListener("click", () => loadAudit(true));

// --- Keyboard -----------------------------------------------------------------------------------

function isTyping(target) {
  return target instanceof Element && Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
}

function toggleHelp() {
  if (help.open) help.close();
  else help.showModal();
}
$("help-open").addEventListener("click", toggleHelp);
$("help-close").addEventListener("click", () => help.close());

// Single-key shortcuts can be set off by speech input or a slip of the hand (WCAG 2.1.4), so
// they can be turned off; the choice is kept in this browser.
function showShortcuts() {
  for (const toggle of document.querySelectorAll(".shortcuts-switch")) {
    toggle.setAttribute("aria-checked", shortcutsOn ? "true" : "false");
    toggle.querySelector(".shortcuts-state").textContent = shortcutsOn ? "on" : "off";
  }
  dashboard.classList.toggle("shortcuts-off", !shortcutsOn);
  for (const [action, key] of Object.entries(SHORTCUT_KEYS)) {
    const button = $(action);
    if (!button) continue;
    if (shortcutsOn) button.setAttribute("aria-keyshortcuts", key);
    else button.removeAttribute("aria-keyshortcuts");
  }
}
for (const toggle of document.querySelectorAll(".shortcuts-switch")) {
  toggle.addEventListener("click", () => {
    shortcutsOn = !shortcutsOn;
    try { window.localStorage.setItem(SHORTCUTS_KEY, shortcutsOn ? "on" : "off"); } catch (e) { /* not kept */ }
    showShortcuts();
  });
}
showShortcuts();

document.addEventListener("keydown", (event) => {
  if (dashboard.hidden || !shortcutsOn) return;
  if (event.key === "Escape" && isTyping(event.target) && !help.open) {
    event.target.blur();
    focusOn($("detail-h"));
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
  if (help.open || $("queue-view").hidden) return;
  const actions = { j: () => move(1), k: () => move(-1), a: () => decide("approve"), h: () => decide("hold"), r: openReject };
  const run = actions[event.key];
  if (run) { event.preventDefault(); run(); }
});

// --- Start --------------------------------------------------------------------------------------

api("/api/admin/session")
  .then(startDashboard)
  .catch(() => showSignIn());
