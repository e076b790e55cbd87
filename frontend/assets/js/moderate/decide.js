// Corrections and decisions: what changed, saving it, approve / hold / reject, and conflicts.
import { markInvalid } from "../fields.js";
import { announce, ApiError, el, focusOn, titleOf } from "../lib.js";
import { TIME_KINDS } from "../media.js";
import { renderDetail } from "./detail.js";
import { renderQueue, replaceItem, select } from "./queue.js";
import { $, ACTION_WORDS, contributionPath, current, mod, state, UNDECIDABLE } from "./state.js";

/** The corrections made in the detail panel, as the PATCH body wants them. */
function edits(item) {
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
    markInvalid(input, "detail-error-text");
    input.focus();
  } else {
    focusOn(box);
  }
}

export async function saveEdits(explicit) {
  const item = current();
  if (!item) return true;
  const change = edits(item);
  if (!Object.keys(change).length) {
    if (explicit) announce("Nothing to save.");
    return true;
  }
  try {
    replaceItem(await mod(contributionPath(item), { method: "PATCH", json: { version: item.version, ...change } }));
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
    try {
      replaceItem(await mod(contributionPath(current())));
      renderDetail();
    } catch (e) { /* shown below */ }
    showDetailError("Someone else changed this contribution while you had it open. It has been reloaded: please check it and decide again.");
  } else if (err.status !== 401) {
    showDetailError(err.detail || "That did not work. Please try again.");
  }
}

export function openReject() {
  const panel = $("reject-panel");
  if (!panel) return;
  panel.hidden = false;
  $("public-reason").focus();
}

export function closeReject() {
  $("reject-panel").hidden = true;
  $("reject").focus();
}

/** Why it cannot be approved yet (a description or transcript missing), or null. */
function approvalProblem(item) {
  const then = state.shortcutsOn ? ". Then press Esc and a." : ", then approve it again.";
  const missing = item.media.find((m) => (m.type || "image") === "image" && !$(`alt-${m.id}`).value.trim());
  if (missing) return [`Add a description to every image before approving it${then}`, `alt-${missing.id}`];
  const playable = item.media.find((m) => TIME_KINDS.includes(m.type));
  const transcript = $("edit-transcript");
  if (!playable || !transcript || transcript.value.trim()) return null;
  if (playable.type === "audio") return [`Add a transcript of the sound before approving it${then}`, "edit-transcript"];
  const description = $(`alt-${playable.id}`);
  if (!description || !description.value.trim()) {
    return [`Add a transcript or a description of the video before approving it${then}`, "edit-transcript"];
  }
  return null;
}

export async function decide(action) {
  const item = current();
  if (!item || state.busy) return;
  $("detail-error").hidden = true;
  if (UNDECIDABLE.includes(item.status)) {
    showDetailError(item.status === "processing"
      ? "It is still being processed. It can be decided once its file is ready."
      : "Its file could not be processed, so there is nothing to publish.");
    return;
  }
  const problem = action === "approve" ? approvalProblem(item) : null;
  if (problem) { showDetailError(...problem); return; }
  const reason = $("public-reason").value.trim();
  if (action === "reject" && !reason) {
    openReject();
    showDetailError("Please give the contributor a kind reason.", "public-reason");
    return;
  }
  state.busy = true;
  try {
    if (!(await saveEdits(false))) return;
    const saved = current();
    const note = $("decision-note").value.trim();
    const decided = await mod(contributionPath(saved, "/decision"), {
      method: "POST",
      json: { action, version: saved.version, note: note || null, public_reason: action === "reject" ? reason : null },
    });
    $("dash-status").textContent = `${ACTION_WORDS[action]}: ${titleOf(decided)}.`;
    if (decided.status !== $("queue-status").value) {
      state.items.splice(state.index, 1);
      renderQueue();
      const left = state.items.length;
      select(Math.min(state.index, left - 1), { focusList: left > 0, focusHeading: left === 0 });
    } else {
      replaceItem(decided);
      renderDetail();
      focusOn($("detail-h"));
    }
  } catch (err) {
    if (err.code === "alt_text_required") {
      const missing = current().media.find((m) => !m.alt_text);
      showDetailError(err.detail, missing ? `alt-${missing.id}` : null);
    } else if (err.code === "transcript_required") {
      showDetailError(err.detail, $("edit-transcript") ? "edit-transcript" : null);
    } else if (err instanceof ApiError) {
      await handleConflict(err);
    }
  } finally {
    state.busy = false;
  }
}
