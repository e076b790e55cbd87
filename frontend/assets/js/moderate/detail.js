// The detail panel: one contribution as the moderator sees it, its corrections and the decision bar.
import { mediaElement } from "../cards.js";
import { fillSelect } from "../fields.js";
import { el, formLabel, formatDate, kindLabel, licenceOf, regionName, titleOf } from "../lib.js";
import { TIME_KINDS } from "../media.js";
import { closeReject, decide, openReject, saveEdits } from "./decide.js";
import { $, current, mod, state, STATUS_WORDS, UNDECIDABLE } from "./state.js";

function field(id, label, control, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  control.id = id;
  return el("div", { class: "field", id: `${id}-field` },
    el("label", { for: id, text: label }),
    hint ? el("span", { class: "hint", id: hintId, text: hint }) : null,
    control);
}

function input(tag, value, attrs = {}) {
  const control = el(tag, tag === "input" ? { type: "text", autocomplete: "off", ...attrs } : attrs);
  control.value = value || "";
  return control;
}

function nothingShown() {
  const { items, shortcutsOn } = state;
  return [
    el("h2", { id: "detail-h", tabindex: "-1", text: items.length ? "Nothing selected" : "The queue is empty" }),
    el("p", { class: "muted", text: items.length
      ? `Choose a contribution from the list${shortcutsOn ? ", or press j" : ""}.` : "Nothing is waiting here. Thank you." }),
  ];
}

/** What a moderator must know before anything else: risk, visitors' reports, processing. */
function notices(item) {
  return [
    item.at_risk ? el("div", { class: "notice error", id: "risk-notice" }, el("p", {},
      el("strong", { text: "This may come from someone at risk. " }),
      "Words in it suggest the person may be in danger. ",
      el("a", { href: "#safeguarding", text: "Follow the safeguarding steps" }), " before deciding.")) : null,
    item.reports ? el("div", { class: "notice", id: "reports-notice" },
      el("p", {},
        el("strong", { text: `Reported by visitors ${item.reports === 1 ? "once" : `${item.reports} times`}. ` }),
        "Approve again to keep it published and close these reports, or hold or reject it."),
      el("div", { id: "report-reasons" }, el("p", { class: "muted", text: "Loading what they said…" }))) : null,
  ];
}

function facts(item) {
  const { meta } = state;
  return [
    el("p", { class: "item-meta", text: [
      `${kindLabel(item.kind)}: ${formLabel(item.form)}`, `received ${formatDate(item.received_on)}`, `via ${item.channel}`,
      item.region ? regionName(meta, item.region) : "no area given",
      item.display_name ? `credited as “${item.display_name}”` : "anonymous",
      `licence: ${licenceOf(meta, item.licence).name}`, `status: ${STATUS_WORDS[item.status] || item.status}`].join(" · ") }),
    item.contact_email ? el("p", { class: "item-meta" }, "Contact email: ", el("a", { href: `mailto:${item.contact_email}`, text: item.contact_email })) : null,
    item.status === "processing" ? el("div", { class: "notice", id: "processing-notice" }, el("p", {},
      el("strong", { text: "Still being processed. " }),
      "Its file is being made playable; it can be decided once that has finished. You can correct the details meanwhile.")) : null,
    item.status === "failed" ? el("div", { class: "notice error", id: "failure-notice" },
      el("p", {}, el("strong", { text: "Processing failed. " }), item.failure_reason || "No reason was recorded."),
      el("p", { text: "Its files have been erased and it cannot be published. The contributor sees a kind sentence on their receipt." })) : null,
    item.public_reason && item.status !== "failed" ? el("p", { class: "item-meta", text: `Reason given: ${item.public_reason}` }) : null,
  ];
}

function images(item) {
  const figures = item.media.filter((m) => (m.type || "image") === "image").map((m, i) => el("figure", {},
    mediaElement(m, "display", { eager: true }),
    field(`alt-${m.id}`, `Description of image ${i + 1} (alt text)`, input("textarea", m.alt_text, { rows: "3", "data-media": m.id }),
      "What matters in the picture, for people who cannot see it. Needed before approving.")));
  return figures.length ? [el("h3", { text: `Images (${figures.length})` }), ...figures] : [];
}

/** Pending sound and video play here (moderators may fetch them), with the transcript to check. */
function soundOrVideo(item) {
  if (!TIME_KINDS.includes(item.kind) || item.status === "failed") return [];
  const playable = item.media.find((m) => TIME_KINDS.includes(m.type));
  const video = playable && playable.type === "video";
  const transcript = input("textarea", item.transcript, { rows: "6" });
  const parts = [
    el("h3", { text: video ? "Video" : "Sound" }),
    playable ? el("figure", {}, mediaElement(playable, "display", { title: titleOf(item), preload: "metadata" }))
      : el("p", { class: "muted", text: "There is nothing to play: the file was not kept." }),
    el("p", { class: "hint", id: "described-rule", text: video
      ? "Approving needs a transcript or a description of the video, for people who cannot hear or see it."
      : "Approving needs a transcript, for people who cannot hear it." }),
    field("edit-transcript", video ? "Transcript (what is said)" : "Transcript (what is said or sung)", transcript,
      "Correct it or write it while you listen. Line breaks are kept."),
    video ? field(`alt-${playable.id}`, "Description of the video (what is shown)",
      input("textarea", playable.alt_text, { rows: "3", "data-media": playable.id }),
      "What can be seen, for people who cannot see it.") : null,
  ];
  transcript.setAttribute("aria-describedby", "described-rule edit-transcript-hint");
  return parts;
}

function corrections(item) {
  if (item.status === "failed") return [];
  const { meta } = state;
  const form = el("select", {});
  fillSelect(form, (meta ? meta.forms : [item.form]).map((f) => [f, formLabel(f)]), item.form);
  const region = el("select", {});
  fillSelect(region, [["", "Not given"], ...(meta ? meta.regions.map((r) => [r.code, r.name]) : [])], item.region || "");
  return [
    el("h3", { text: "Details" }),
    el("div", { class: "detail-grid" },
      field("edit-title", "Title", input("input", item.title)),
      field("edit-form", "Form", form),
      field("edit-region", "Area", region),
      field("edit-tags", "Tags", input("input", item.tags.join(", ")), "Separated by commas."),
      field("edit-warning", "Content warning", input("input", item.content_warning), "Leave empty for none.")),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", id: "save-edits", onclick: () => saveEdits(true) }, "Save changes")),
  ];
}

function decisionBar(item) {
  const errorBox = el("div", { id: "detail-error", class: "notice error", hidden: true, tabindex: "-1" });
  if (UNDECIDABLE.includes(item.status)) return errorBox;
  const keys = state.shortcutsOn;
  const key = (k) => el("kbd", { "aria-hidden": "true", text: k });
  return el("div", { class: "decision-bar" },
    field("decision-note", "Private note for moderators (optional)", el("textarea", { rows: "2", class: "short" })),
    el("div", { class: "actions" },
      el("button", { type: "button", id: "approve", "aria-keyshortcuts": keys && "a", onclick: () => decide("approve") }, "Approve ", key("a")),
      el("button", { type: "button", class: "secondary", id: "hold", "aria-keyshortcuts": keys && "h", onclick: () => decide("hold") }, "Hold ", key("h")),
      el("button", { type: "button", class: "danger", id: "reject", "aria-keyshortcuts": keys && "r", onclick: openReject }, "Reject… ", key("r"))),
    el("div", { class: "notice error", id: "reject-panel", hidden: true },
      field("public-reason", "Reason the contributor will see", el("textarea", { rows: "3" }),
        "Kind and brief: they will read it on their receipt page."),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "danger", id: "confirm-reject", onclick: () => decide("reject") }, "Reject with this reason"),
        el("button", { type: "button", class: "secondary", onclick: closeReject }, "Cancel"))),
    errorBox);
}

export function renderDetail() {
  const item = current();
  if (!item) { $("detail").replaceChildren(...nothingShown()); return; }
  const timed = TIME_KINDS.includes(item.kind);
  $("detail").replaceChildren(...[
    el("h2", { id: "detail-h", tabindex: "-1", text: titleOf(item) }),
    ...notices(item),
    ...facts(item),
    item.body ? el("div", { class: "piece-body", text: item.body }) : el("p", { class: "muted", text: timed ? "No words with it." : "No text." }),
    ...soundOrVideo(item),
    ...images(item),
    ...corrections(item),
    decisionBar(item),
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
